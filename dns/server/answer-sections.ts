// The slow path of the zone: answers composed record by record for the queries the pre-encoded
// table cannot serve byte for byte (mixed-case 0x20 names, `.*` cleaning, other classes, ANY).
// Same rules as the table (Mesos-DNS's resolver), encoded per query.
import { encodeMessage, QNAME, type NameRef, type ResourceRecord } from '../wire/encoder.js';
import type { NameRecords, RecordLookup, ZoneOptions } from '../records/record-set.js';
import { TYPE, type Rcode } from '../wire/format.js';

export interface Sections {
  readonly rcode: Rcode;
  readonly answers: ResourceRecord[];
  readonly authority: ResourceRecord[];
  readonly additional: ResourceRecord[];
}

export function soaRecord(zone: ZoneOptions, serial: number): ResourceRecord {
  return {
    name: QNAME,
    type: TYPE.SOA,
    ttl: zone.ttl,
    mname: zone.soaMname,
    rname: zone.soaRname,
    serial,
    refresh: zone.soaRefresh,
    retry: zone.soaRetry,
    expire: zone.soaExpire,
    minimum: zone.ttl,
  };
}

export function nsRecord(zone: ZoneOptions): ResourceRecord {
  return { name: QNAME, type: TYPE.NS, ttl: zone.ttl, host: zone.soaMname };
}

/**
 * The sections for `entry` and `type` (A, AAAA, SRV or ANY). `owner` names the A/AAAA owner: the
 * question itself (QNAME) when it is the lower-case name, otherwise the lower-case name as text.
 * `rotation` picks which member comes first, as Mesos-DNS's shuffle would.
 */
export function positiveSections(
  names: Pick<RecordLookup, 'get'>, zone: ZoneOptions, serial: number,
  entry: NameRecords, type: number, owner: NameRef, rotation: number,
): Sections {
  const ttl = zone.ttl;
  const answers: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const authority: ResourceRecord[] = [];
  if (type === TYPE.SRV || type === TYPE.ANY) {
    for (const v of rotate(entry.srv, rotation))
      answers.push({ name: QNAME, type: TYPE.SRV, ttl, priority: 0, weight: zone.srvWeight, port: v.port, target: v.target });
    additional.push(...srvAdditional(names, entry, ttl));
  }
  if (type === TYPE.A || type === TYPE.ANY) for (const ip of rotate(entry.a, rotation)) answers.push({ name: owner, type: TYPE.A, ttl, ip });
  if (type === TYPE.AAAA || type === TYPE.ANY) for (const ip of rotate(entry.aaaa, rotation)) answers.push({ name: owner, type: TYPE.AAAA, ttl, ip });
  if (type === TYPE.ANY) {
    // Mesos-DNS always adds SOA and NS for ANY, and a second SOA when nothing answered.
    authority.push(soaRecord(zone, serial), nsRecord(zone));
    if (answers.length === 0) authority.push(soaRecord(zone, serial));
  }
  return { rcode: 0, answers, authority, additional };
}

/** One A and one AAAA per distinct SRV target that owns addresses (§2.4). */
export function srvAdditional(names: Pick<RecordLookup, 'get'>, entry: NameRecords, ttl: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const v of entry.srv) {
    if (seen.has(v.target)) continue;
    seen.add(v.target);
    const target = names.get(v.target);
    if (target?.a[0]) out.push({ name: v.target, type: TYPE.A, ttl, ip: target.a[0] });
    if (target?.aaaa[0]) out.push({ name: v.target, type: TYPE.AAAA, ttl, ip: target.aaaa[0] });
  }
  return out;
}

export function rotate<T>(values: readonly T[], by: number): readonly T[] {
  if (values.length < 2) return values;
  const k = by % values.length;
  return k === 0 ? values : [...values.slice(k), ...values.slice(0, k)];
}

/**
 * Encodes within `limit` bytes the way Mesos-DNS truncates (§2.5): a reply longer than the limit
 * gets TC (when `setTruncateBit`), loses its additional section, then the fewest answers from the
 * end so that it is strictly below the limit. The authority section stays.
 */
export function encodeWithin(
  id: number, flags: number, question: Buffer, s: Sections, limit: number, setTruncateBit: boolean, optSize: number | null,
): Buffer {
  const opt: ResourceRecord[] = optSize !== null ? [{ name: '', type: TYPE.OPT, udpSize: optSize }] : [];
  const full = encodeMessage({ id, flags: flags | s.rcode, question, answers: s.answers, authority: s.authority, additional: [...s.additional, ...opt] });
  if (full.length <= limit) return full;
  const tc = setTruncateBit ? 0x0200 : 0;
  const withAnswers = (count: number) =>
    encodeMessage({ id, flags: flags | tc | s.rcode, question, answers: s.answers.slice(0, count), authority: s.authority, additional: opt });
  const all = withAnswers(s.answers.length);
  if (all.length < limit) return all;
  let best = withAnswers(0);
  let low = 1;
  let high = s.answers.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const candidate = withAnswers(mid);
    if (candidate.length < limit) {
      best = candidate;
      low = mid + 1;
    } else high = mid - 1;
  }
  return best;
}
