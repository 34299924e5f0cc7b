// The few pieces of the DNS wire format the hot path needs: constants, and a query reader that
// bounds-checks everything (a malformed packet is an answer code or a drop, never an exception).

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, AXFR: 252, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export const HEADER_SIZE = 12;
export const MAX_NAME_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

export interface ParsedQuery {
  readonly id: number;
  readonly flags: number;                  // the 16 flag bits as sent
  readonly opcode: number;
  /** Lower-cased name without the trailing dot ('' for the root). */
  readonly name: string;
  /** True when the name on the wire had upper-case letters (0x20 clients). */
  readonly mixedCase: boolean;
  /** True when a label holds a '.' byte: the text name is then ambiguous and matches nothing. */
  readonly literalDot: boolean;
  readonly type: number;
  readonly qclass: number;
  /** Offset just past the question (the question is bytes 12..questionEnd). */
  readonly questionEnd: number;
  /** EDNS0 UDP payload size the client advertised (at least 512), or 0 when it sent no OPT record. */
  readonly ednsSize: number;
}

export type QueryProblem = 'drop' | 'formerr' | 'notimp';

/**
 * Reads a query. Returns the problem instead when the packet is not one to answer normally:
 * 'drop' (too short to echo a header, or a response), 'formerr' (broken question or records),
 * 'notimp' (an opcode other than QUERY). Allocates only the name string.
 */
export function parseQuery(msg: Buffer): ParsedQuery | QueryProblem {
  if (msg.length < HEADER_SIZE) return 'drop';
  const flags = (msg[2]! << 8) | msg[3]!;
  if (flags & 0x8000) return 'drop';
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return 'notimp';
  if (msg[4] !== 0 || msg[5] !== 1) return 'formerr';
  // First pass: validate the labels and find the end. A question comes first in the message, so
  // a compression pointer in it could only point into the header or at itself: malformed.
  let offset = HEADER_SIZE;
  let wireLength = 1;
  let mixedCase = false;
  let literalDot = false;
  for (;;) {
    if (offset >= msg.length) return 'formerr';
    const length = msg[offset]!;
    if (length === 0) break;
    if (length > MAX_LABEL_LENGTH) return 'formerr';
    wireLength += length + 1;
    if (wireLength > MAX_NAME_LENGTH || offset + 1 + length > msg.length) return 'formerr';
    for (let i = offset + 1; i <= offset + length; i++) {
      const c = msg[i]!;
      if (c >= 65 && c <= 90) mixedCase = true;
      else if (c === 0x2e) literalDot = true;
    }
    offset += length + 1;
  }
  const nameEnd = offset;
  offset++;
  if (offset + 4 > msg.length) return 'formerr';
  const type = (msg[offset]! << 8) | msg[offset + 1]!;
  const qclass = (msg[offset + 2]! << 8) | msg[offset + 3]!;
  const questionEnd = offset + 4;
  const ednsSize = findEdnsSize(msg, questionEnd);
  if (ednsSize < 0) return 'formerr';
  return {
    id: (msg[0]! << 8) | msg[1]!,
    flags,
    opcode,
    name: nameText(msg, nameEnd, mixedCase, literalDot),
    mixedCase,
    literalDot,
    type,
    qclass,
    questionEnd,
    ednsSize,
  };
}

/**
 * The question name as text: its length bytes are turned into dots in place for one latin1 decode,
 * then put back (every '.' byte is a length byte when no label holds a literal dot), so the only
 * allocation is the string itself.
 */
function nameText(msg: Buffer, nameEnd: number, mixedCase: boolean, literalDot: boolean): string {
  if (nameEnd === HEADER_SIZE) return '';
  if (literalDot) {
    const copy = Buffer.from(msg.subarray(HEADER_SIZE, nameEnd));
    for (let i = 0; i < copy.length; ) {
      const length = copy[i]!;
      copy[i] = 0x2e;
      i += length + 1;
    }
    const text = copy.toString('latin1', 1);
    return mixedCase ? text.toLowerCase() : text;
  }
  for (let i = HEADER_SIZE + msg[HEADER_SIZE]! + 1; i < nameEnd; ) {
    const length = msg[i]!;
    msg[i] = 0x2e;
    i += length + 1;
  }
  const name = msg.toString('latin1', HEADER_SIZE + 1, nameEnd);
  let next = nameEnd;
  for (let i = nameEnd - 1; i > HEADER_SIZE; i--) {
    if (msg[i] === 0x2e) {
      msg[i] = next - i - 1;
      next = i;
    }
  }
  return mixedCase ? name.toLowerCase() : name;
}

/**
 * Skips a possibly compressed name within msg[..end); returns the offset after it, or -1 when it
 * runs past the end, has a label over 63 bytes, is longer than 255, or points forwards.
 */
export function skipName(msg: Buffer, offset: number, end = msg.length): number {
  let wireLength = 1;
  for (;;) {
    if (offset >= end) return -1;
    const length = msg[offset]!;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) {
      if (offset + 2 > end) return -1;
      const target = ((length & 0x3f) << 8) | msg[offset + 1]!;
      return target < offset ? offset + 2 : -1;
    }
    if (length > MAX_LABEL_LENGTH) return -1;
    wireLength += length + 1;
    if (wireLength > MAX_NAME_LENGTH) return -1;
    offset += length + 1;
  }
}

/** The OPT record's UDP size in the sections after the question; 0 without OPT, -1 when malformed. */
function findEdnsSize(msg: Buffer, offset: number): number {
  const records = ((msg[6]! << 8) | msg[7]!) + ((msg[8]! << 8) | msg[9]!) + ((msg[10]! << 8) | msg[11]!);
  if (records === 0) return 0;
  let ednsSize = 0;
  for (let i = 0; i < records; i++) {
    offset = skipName(msg, offset);
    if (offset < 0 || offset + 10 > msg.length) return -1;
    const type = msg.readUInt16BE(offset);
    const rdlength = msg.readUInt16BE(offset + 8);
    if (type === TYPE.OPT) {
      // Two OPT records are a format error (RFC 6891 §6.1.1).
      if (ednsSize !== 0) return -1;
      ednsSize = Math.max(512, msg.readUInt16BE(offset + 2));
    }
    offset += 10 + rdlength;
    if (offset > msg.length) return -1;
  }
  return ednsSize;
}

/** A header-and-question-only reply (errors, refusals), echoing what can be echoed. */
export function errorReply(msg: Buffer, rcode: Rcode, questionEnd: number, recursionAvailable: boolean): Buffer {
  const withQuestion = questionEnd > HEADER_SIZE;
  const reply = Buffer.allocUnsafe(withQuestion ? questionEnd : HEADER_SIZE);
  msg.copy(reply, 0, 0, withQuestion ? questionEnd : HEADER_SIZE);
  const flags = msg.readUInt16BE(2);
  // QR, opcode and RD/CD as asked; AA and TC off; RA as configured; the error code.
  reply.writeUInt16BE(0x8000 | (flags & 0x7900) | (flags & 0x0010) | (recursionAvailable ? 0x0080 : 0) | rcode, 2);
  reply.writeUInt16BE(withQuestion ? 1 : 0, 4);
  reply.writeUInt32BE(0, 6);
  reply.writeUInt16BE(0, 10);
  return reply;
}
