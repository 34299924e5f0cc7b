// Encodes whole DNS responses with name compression. Used when a record set is swapped in (to
// pre-encode answers) and on the rare slow paths; never parses anything.
import { isIPv4 } from 'node:net';
import { CLASS_IN, HEADER_SIZE, TYPE } from './wire.js';

export type ResourceRecord =
  | { readonly name: NameRef; readonly type: typeof TYPE.A | typeof TYPE.AAAA; readonly ttl: number; readonly ip: string }
  | { readonly name: NameRef; readonly type: typeof TYPE.SRV; readonly ttl: number; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly name: NameRef; readonly type: typeof TYPE.SOA; readonly ttl: number; readonly mname: string; readonly rname: string; readonly serial: number; readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number }
  | { readonly name: NameRef; readonly type: typeof TYPE.NS; readonly ttl: number; readonly host: string }
  | { readonly name: NameRef; readonly type: typeof TYPE.OPT; readonly udpSize: number };

/** An owner name: a text name, or QNAME to point at the question as the client wrote it. */
export type NameRef = string | typeof QNAME;
export const QNAME = Symbol('qname');

export interface EncodeInput {
  readonly id: number;
  readonly flags: number;                  // full 16 bits incl. rcode
  /** The question exactly as on the wire (name + type + class), or null for none. */
  readonly question: Buffer | null;
  readonly answers: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
}

class Writer {
  buf = Buffer.allocUnsafe(1024);
  length = 0;
  readonly names = new Map<string, number>();
  constructor(readonly compress = true) {}

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number) { this.ensure(1); this.buf[this.length++] = v; }
  u16(v: number) { this.ensure(2); this.buf.writeUInt16BE(v, this.length); this.length += 2; }
  u32(v: number) { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.length); this.length += 4; }
  bytes(b: Buffer) { this.ensure(b.length); b.copy(this.buf, this.length); this.length += b.length; }

  /**
   * Writes a name, pointing at an earlier copy of any suffix. Case-sensitive on purpose: an owner
   * written in lower case must not turn into a 0x20 client's mixed-case question by compression.
   */
  name(text: string): void {
    const labels = text.replace(/\.$/, '').split('.').filter(Boolean);
    for (let i = 0; i < labels.length; i++) {
      const suffix = this.compress ? labels.slice(i).join('.') : '';
      const at = this.names.get(suffix);
      if (this.compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.compress && this.length < 0x3fff) this.names.set(suffix, this.length);
      const label = Buffer.from(labels[i]!, 'latin1');
      this.u8(Math.min(label.length, 63));
      this.bytes(label.subarray(0, 63));
    }
    this.u8(0);
  }
}

function writeIp(w: Writer, ip: string): void {
  if (isIPv4(ip)) {
    w.u16(4);
    for (const part of ip.split('.')) w.u8(Number(part));
    return;
  }
  w.u16(16);
  const [head = '', tail] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  for (const g of all) w.u16(g);
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  if (rr.name === QNAME) w.u16(0xc000 | HEADER_SIZE);
  else w.name(rr.name);
  w.u16(rr.type);
  if (rr.type === TYPE.OPT) {
    w.u16(rr.udpSize);
    w.u32(0);
    w.u16(0);
    return;
  }
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  switch (rr.type) {
    case TYPE.A:
    case TYPE.AAAA:
      writeIp(w, rr.ip);
      return;
    case TYPE.NS:
    case TYPE.SRV:
    case TYPE.SOA: {
      const lengthAt = w.length;
      w.u16(0);
      if (rr.type === TYPE.NS) w.name(rr.host);
      else if (rr.type === TYPE.SRV) {
        w.u16(rr.priority);
        w.u16(rr.weight);
        w.u16(rr.port);
        w.name(rr.target);
      } else {
        w.name(rr.mname);
        w.name(rr.rname);
        for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      }
      w.buf.writeUInt16BE(w.length - lengthAt - 2, lengthAt);
    }
  }
}

export function encodeMessage(input: EncodeInput): Buffer {
  const w = new Writer();
  w.u16(input.id);
  w.u16(input.flags);
  w.u16(input.question ? 1 : 0);
  w.u16(input.answers.length);
  w.u16(input.authority.length);
  w.u16(input.additional.length);
  if (input.question) {
    // The question's name is the compression target of every QNAME owner (offset 12).
    w.bytes(input.question);
    registerQuestionName(w, input.question);
  }
  for (const rr of input.answers) writeRecord(w, rr);
  for (const rr of input.authority) writeRecord(w, rr);
  for (const rr of input.additional) writeRecord(w, rr);
  return Buffer.from(w.buf.subarray(0, w.length));
}

/** Lets later names point into the question's name (its suffixes), as a compressing server does. */
function registerQuestionName(w: Writer, question: Buffer): void {
  let offset = 0;
  const labels: { at: number; text: string }[] = [];
  while (offset < question.length && question[offset]! > 0 && question[offset]! < 64) {
    const length = question[offset]!;
    labels.push({ at: HEADER_SIZE + offset, text: question.toString('latin1', offset + 1, offset + 1 + length) });
    offset += length + 1;
  }
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).map((l) => l.text).join('.');
    if (!w.names.has(suffix)) w.names.set(suffix, labels[i]!.at);
  }
}

/** The wire form of a question for `name` (lower-case text, no trailing dot). */
export function encodeQuestion(name: string, type: number, qclass = CLASS_IN): Buffer {
  const labels = name ? name.split('.') : [];
  const size = labels.reduce((n, l) => n + l.length + 1, 0) + 1 + 4;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const label of labels) {
    out[offset++] = label.length;
    offset += out.write(label, offset, 'latin1');
  }
  out[offset++] = 0;
  out.writeUInt16BE(type, offset);
  out.writeUInt16BE(qclass, offset + 2);
  return out;
}

/**
 * Records encoded to be appended after any header + question: owners may only be QNAME (offset 12)
 * and nothing else is compressed, so the bytes do not depend on where they land.
 */
export function encodeRecordsAnywhere(records: readonly ResourceRecord[]): Buffer {
  const w = new Writer(false);
  for (const rr of records) writeRecord(w, rr);
  return Buffer.from(w.buf.subarray(0, w.length));
}
