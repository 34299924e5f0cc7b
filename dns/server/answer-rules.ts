// Rules and sizes the answer table builds with: which names and values it can encode, how big its
// slab will be, and the OPT record it appends.
import { isIPv6 } from 'node:net';
import type { NameRecords } from '../records/record-set.js';
import { isIpv4Literal, type ResourceRecord } from '../wire/encoder.js';
import { TYPE } from '../wire/format.js';

/** Roughly the slab's final size, so that the writer rarely has to grow and copy. */
export function estimateSize(names: ReadonlyMap<string, NameRecords>): number {
  let size = 4096;
  for (const [name, entry] of names) {
    const perMessage = 16 + name.length + 2;
    if (entry.a.length) size += perMessage + entry.a.length * 16;
    if (entry.aaaa.length) size += perMessage + entry.aaaa.length * 28;
    if (entry.srv.length) size += perMessage + entry.srv.length * 64;
  }
  return size;
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Names a lower-cased query can match and the fast writer can encode: lower-case ASCII labels of
 * 1..63 bytes, 255 bytes at most. Legacy raw DiscoveryInfo names may keep upper case (they show in
 * AXFR only); anything else would be a bug upstream, and is left out rather than failing the table.
 */
export function isAnswerableName(fqdn: string): boolean {
  if (fqdn.length > 254 || !fqdn.endsWith('.')) return false;
  let label = 0;
  for (let i = 0; i < fqdn.length; i++) {
    const c = fqdn.charCodeAt(i);
    if (c === 46) {
      if (label === 0 || label > 63) return false;
      label = 0;
    } else if ((c >= 65 && c <= 90) || c > 126 || c <= 32) return false;
    else label++;
  }
  return true;
}

export function validAddress(rr: ResourceRecord): boolean {
  return rr.type === TYPE.A ? isIpv4Literal(rr.ip) : rr.type === TYPE.AAAA ? isIPv6(rr.ip) : true;
}

export function writeOpt(out: Buffer, offset: number, udpSize: number): void {
  out[offset] = 0;
  out.writeUInt16BE(TYPE.OPT, offset + 1);
  out.writeUInt16BE(udpSize, offset + 3);
  out.writeUInt32BE(0, offset + 5);
  out.writeUInt16BE(0, offset + 9);
}
