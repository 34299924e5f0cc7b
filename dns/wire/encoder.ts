// Encodes DNS responses with name compression. Runs when a record set is swapped in (to pre-encode
// every answer into one slab) and on the rare slow paths (mixed-case names, ANY, big EDNS answers);
// never per query on the fast path.
import { CLASS_IN, HEADER_SIZE, TYPE } from './format.js';

export type ResourceRecord =
  | { readonly name: NameRef; readonly type: typeof TYPE.A | typeof TYPE.AAAA; readonly ttl: number; readonly ip: string }
  | {
      readonly name: NameRef;
      readonly type: typeof TYPE.SRV;
      readonly ttl: number;
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | {
      readonly name: NameRef;
      readonly type: typeof TYPE.SOA;
      readonly ttl: number;
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
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

/**
 * An append-only byte writer. Several messages can be written one after another into the same
 * buffer (the answer slab); compression offsets are relative to the message start `base`.
 */
export class WireWriter {
  buf: Buffer;
  length = 0;
  #base = 0;
  #compress = true;
  /** Lower-case name suffix (no trailing dot) -> offset in the current message. */
  readonly #names = new Map<string, number>();

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Starts a new message at the current end: compression never reaches into earlier ones. */
  beginMessage(compress = true): number {
    this.#base = this.length;
    this.#compress = compress;
    this.#names.clear();
    return this.#base;
  }

  get messageLength(): number {
    return this.length - this.#base;
  }

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void { this.ensure(1); this.buf[this.length++] = v; }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  bytes(b: Buffer): void { this.ensure(b.length); b.copy(this.buf, this.length); this.length += b.length; }
  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /**
   * Writes a name, pointing at an earlier copy of its longest known suffix. Matching is exact on
   * case on purpose: a lower-case owner must not turn into a 0x20 client's mixed-case question.
   */
  name(text: string): void {
    const end = text.endsWith('.') ? text.length - 1 : text.length;
    let start = 0;
    while (start < end) {
      const dot = text.indexOf('.', start);
      const labelEnd = dot < 0 || dot > end ? end : dot;
      if (this.#compress) {
        const suffix = start === 0 && end === text.length ? text : text.slice(start, end);
        const at = this.#names.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        const offset = this.length - this.#base;
        if (offset < 0x3fff) this.#names.set(suffix, offset);
      }
      const length = Math.min(labelEnd - start, 63);
      this.ensure(length + 1);
      this.buf[this.length++] = length;
      this.length += this.buf.write(text.slice(start, start + length), this.length, 'latin1');
      start = labelEnd + 1;
    }
    this.u8(0);
  }

  /** Writes a name uncompressed (ASCII text, labels already known to be 1..63 bytes). */
  plainName(text: string): void {
    const end = text.endsWith('.') ? text.length - 1 : text.length;
    this.#labels(text, 0, end);
    this.u8(0);
  }

  /**
   * Writes `text` compressed against `question` only (written at HEADER_SIZE), so the bytes are the
   * same wherever they land in a message that starts with that question.
   */
  nameAgainstQuestion(text: string, question: string): void {
    const end = text.endsWith('.') ? text.length - 1 : text.length;
    let i = end;
    let j = question.length;
    while (i > 0 && j > 0 && text.charCodeAt(i - 1) === question.charCodeAt(j - 1)) {
      i--;
      j--;
    }
    // The shared tail must start at a label in both names.
    if (!((i === 0 || text.charCodeAt(i - 1) === 46) && (j === 0 || question.charCodeAt(j - 1) === 46))) {
      const dot = text.indexOf('.', i);
      const skip = dot < 0 || dot >= end ? end - i : dot + 1 - i;
      i += skip;
      j += skip;
    }
    if (i >= end) {
      this.plainName(text);
      return;
    }
    this.#labels(text, 0, i - 1);
    this.u16(0xc000 | (HEADER_SIZE + j));
  }

  /** Labels of text[start..end) (dot-separated) as length-prefixed bytes. */
  #labels(text: string, start: number, end: number): void {
    if (end <= start) return;
    this.ensure(end - start + 1);
    const buf = this.buf;
    let lengthAt = this.length;
    let at = lengthAt + 1;
    for (let k = start; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 46) {
        buf[lengthAt] = at - lengthAt - 1;
        lengthAt = at++;
      } else buf[at++] = c;
    }
    buf[lengthAt] = at - lengthAt - 1;
    this.length = at;
  }

  /** RDLENGTH + RDATA of an A or AAAA record. */
  address(type: number, ip: string): void {
    writeIp(this, ip, type);
  }

  /** Offset (in the current message) where `name` was written, if it was. */
  offsetOf(name: string): number | undefined {
    return this.#names.get(name.endsWith('.') ? name.slice(0, -1) : name);
  }

  /** Lets later names point into a question already written at HEADER_SIZE, as a compressing server does. */
  registerQuestion(question: Buffer): void {
    if (!this.#compress) return;
    const labels: { at: number; text: string }[] = [];
    let offset = 0;
    while (offset < question.length && question[offset]! > 0 && question[offset]! < 64) {
      const length = question[offset]!;
      labels.push({ at: HEADER_SIZE + offset, text: question.toString('latin1', offset + 1, offset + 1 + length) });
      offset += length + 1;
    }
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).map((l) => l.text).join('.');
      if (!this.#names.has(suffix)) this.#names.set(suffix, labels[i]!.at);
    }
  }
}

/** Writes an address as RDLENGTH + RDATA; throws when it is not an IP literal of the record's family. */
function writeIp(w: WireWriter, ip: string, type: number): void {
  if (type === TYPE.A) {
    if (!isIpv4Literal(ip)) throw new RangeError(`not an IPv4 address: ${ip}`);
    w.u16(4);
    let value = 0;
    for (let i = 0; i <= ip.length; i++) {
      const c = i < ip.length ? ip.charCodeAt(i) : 46;
      if (c === 46) {
        w.u8(value);
        value = 0;
      } else value = value * 10 + (c - 48);
    }
    return;
  }
  w.u16(16);
  for (const g of ipv6Groups(ip)) w.u16(g);
}

/** Dotted-quad IPv4 (no leading zeros beyond a single 0), checked without a regular expression. */
export function isIpv4Literal(ip: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || (digits > 1 && ip.charCodeAt(i - digits) === 48)) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
    } else return false;
  }
  return parts === 4;
}

/** The eight 16-bit groups of an IPv6 literal, including the `::ffff:1.2.3.4` form. */
export function ipv6Groups(ip: string): number[] {
  const lastColon = ip.lastIndexOf(':');
  if (ip.includes('.', lastColon)) {
    // Embedded IPv4: parse with two zero groups in its place, then put its four bytes there.
    const v4 = ip.slice(lastColon + 1).split('.').map(Number);
    if (v4.length !== 4 || v4.some((b) => !(b >= 0 && b <= 255))) throw new RangeError(`not an IPv6 address: ${ip}`);
    const groups = ipv6Groups(`${ip.slice(0, lastColon + 1)}0:0`);
    groups[6] = (v4[0]! << 8) | v4[1]!;
    groups[7] = (v4[2]! << 8) | v4[3]!;
    return groups;
  }
  const [head = '', rest, extra] = ip.split('::');
  if (extra !== undefined) throw new RangeError(`not an IPv6 address: ${ip}`);
  const parse = (s: string) => (s ? s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(Math.max(0, fill)).fill(0), ...right];
  if (groups.length !== 8 || (rest !== undefined && fill < 1) || groups.some((g) => Number.isNaN(g))) throw new RangeError(`not an IPv6 address: ${ip}`);
  return groups;
}

export function writeRecord(w: WireWriter, rr: ResourceRecord): void {
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
      writeIp(w, rr.ip, rr.type);
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
        w.u32(rr.serial);
        w.u32(rr.refresh);
        w.u32(rr.retry);
        w.u32(rr.expire);
        w.u32(rr.minimum);
      }
      w.patch16(lengthAt, w.length - lengthAt - 2);
    }
  }
}

/** Writes a whole message at the writer's end; returns its start offset. */
export function writeMessage(w: WireWriter, input: EncodeInput): number {
  const base = w.beginMessage();
  w.u16(input.id);
  w.u16(input.flags);
  w.u16(input.question ? 1 : 0);
  w.u16(input.answers.length);
  w.u16(input.authority.length);
  w.u16(input.additional.length);
  if (input.question) {
    w.bytes(input.question);
    w.registerQuestion(input.question);
  }
  for (const rr of input.answers) writeRecord(w, rr);
  for (const rr of input.authority) writeRecord(w, rr);
  for (const rr of input.additional) writeRecord(w, rr);
  return base;
}

/** One message in a buffer of its own (slow paths). */
export function encodeMessage(input: EncodeInput): Buffer {
  const w = new WireWriter(512);
  writeMessage(w, input);
  return w.buf.subarray(0, w.length);
}

/** The wire form of a question for `name` (text, no trailing dot; '' is the root). */
export function encodeQuestion(name: string, type: number, qclass = CLASS_IN): Buffer {
  const labels = name ? name.split('.') : [];
  let size = 1 + 4;
  for (const label of labels) size += Buffer.byteLength(label, 'latin1') + 1;
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
  const w = new WireWriter(256);
  w.beginMessage(false);
  for (const rr of records) writeRecord(w, rr);
  return Buffer.from(w.buf.subarray(0, w.length));
}
