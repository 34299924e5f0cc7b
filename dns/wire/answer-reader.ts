// Reads the records back out of a response the answer table pre-encoded: the addresses of an A or
// AAAA answer, the targets and ports of an SRV answer. The table keeps only its encoded answers (the
// record set they came from is dropped once they are built: 13 MB at 10,000 tasks), so what asks
// for the records themselves (the Mesos-DNS HTTP API, the per-query slow paths) reads them here.
// Texts come out as the record set held them: IPv4 has one spelling, IPv6 is written in the
// URL standard's form (what the records builder stores); the table keeps any other spelling aside.
import type { SrvValue } from '../records/record-set.js';
import { HEADER_SIZE, skipName } from './format.js';

/** Offset of the first answer of the message at `start`: after the header and the one question. */
function answersAt(msg: Buffer, start: number, end: number): number {
  const after = skipName(msg, start + HEADER_SIZE, end);
  if (after < 0) throw new RangeError('answer reader: the question name runs past the message');
  return after + 4;
}

/** Each answer's RDATA (offset, length), in order. */
function eachRdata(msg: Buffer, start: number, end: number, visit: (at: number, length: number) => void): void {
  const count = msg.readUInt16BE(start + 6);
  let at = answersAt(msg, start, end);
  for (let i = 0; i < count; i++) {
    at = skipName(msg, at, end);
    if (at < 0 || at + 10 > end) throw new RangeError(`answer reader: answer ${i + 1} runs past the message`);
    const length = msg.readUInt16BE(at + 8);
    visit(at + 10, length);
    at += 10 + length;
  }
}

/** The addresses of an A or AAAA answer, in the order they were encoded. */
export function addressesIn(msg: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  eachRdata(msg, start, end, (at, length) => {
    out.push(length === 4 ? `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}` : ipv6Text(msg, at));
  });
  return out;
}

/** The SRV values (target with its trailing dot, port) of an SRV answer, in the order they were encoded. */
export function srvValuesIn(msg: Buffer, start: number, end: number): SrvValue[] {
  const out: SrvValue[] = [];
  eachRdata(msg, start, end, (at) => {
    out.push({ target: nameAt(msg, start, at + 6, end), port: msg.readUInt16BE(at + 4) });
  });
  return out;
}

/** The name at `offset` as text with the trailing dot; pointers are relative to the message at `start`. */
function nameAt(msg: Buffer, start: number, offset: number, end: number): string {
  let text = '';
  // Pointers only point backwards (skipName checked), so this ends; the bound is for a corrupt slab.
  for (let hops = 0; hops < 128; hops++) {
    const length = msg[offset]!;
    if (length === 0) return text || '.';
    if ((length & 0xc0) === 0xc0) {
      offset = start + (((length & 0x3f) << 8) | msg[offset + 1]!);
      continue;
    }
    if (offset + 1 + length > end) break;
    text += `${msg.toString('latin1', offset + 1, offset + 1 + length)}.`;
    offset += length + 1;
  }
  throw new RangeError('answer reader: a name runs past the message');
}

/** 16 bytes as the URL standard writes an IPv6 host: lower-case hex, the first longest run of 2+ zero groups as `::`. */
export function ipv6Text(bytes: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  let runAt = -1;
  let runLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) {
      runAt = i;
      runLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (runAt < 0) return groups.map((g) => g.toString(16)).join(':');
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return `${hex(0, runAt)}::${hex(runAt + runLength, 8)}`;
}
