// Every answer of the zone for one record set, pre-encoded where it pays: per (name, type) a few
// rotations of the full response, and position-independent tails for the answers that only carry
// the SOA or NS (negative answers, SOA and NS queries). Answering is then a copy and a patched ID.
// The rules are Mesos-DNS's (reference mesos-dns.md §2.3–2.5).
import { encodeMessage, encodeQuestion, encodeRecordsAnywhere, QNAME, type NameRef, type ResourceRecord } from './message-encoder.js';
import type { NameRecords, RecordSet, ZoneOptions } from './record-set.js';
import { CLASS_IN, HEADER_SIZE, RCODE, TYPE, type ParsedQuery, type Rcode } from './wire.js';

const MAX_ROTATIONS = 4;
const OPT_RR_SIZE = 11;

type NameEntry = NameRecords;

interface CachedAnswer {
  readonly rotations: readonly Buffer[];
  next: number;
  readonly truncated: Map<number, Buffer>;
}

interface Sections {
  readonly rcode: Rcode;
  readonly answers: ResourceRecord[];
  readonly authority: ResourceRecord[];
  readonly additional: ResourceRecord[];
}

export interface AnswerOptions {
  /** Largest response allowed on this transport for this client. */
  readonly limit: number;
  /** Append an OPT record advertising this UDP size (gatehouse mode, client sent EDNS0). */
  readonly optSize: number | null;
}

export class AnswerTable {
  /** name with trailing dot -> records: the record set's own index, shared, never copied. */
  readonly #names: ReadonlyMap<string, NameRecords>;
  /** Encoded answers of the names actually asked for, by type (and EDNS variant). */
  readonly #cache = new WeakMap<NameRecords, Map<number, CachedAnswer>>();
  readonly #zone: ZoneOptions;
  readonly #serial: number;
  readonly #soaTail: Buffer;
  readonly #nsTail: Buffer;
  readonly #flagsBase: number;

  constructor(records: RecordSet, zone: ZoneOptions, serial: number) {
    this.#zone = zone;
    this.#serial = serial >>> 0;
    this.#names = records.names;
    this.#soaTail = encodeRecordsAnywhere([this.#soa()]);
    this.#nsTail = encodeRecordsAnywhere([{ name: QNAME, type: TYPE.NS, ttl: zone.ttl, host: zone.soaMname }]);
    this.#flagsBase = 0x8400 | (zone.recurse ? 0x0080 : 0);
  }

  get size(): number {
    return this.#names.size;
  }

  /** True when `name` (lower case, no trailing dot) is the zone's domain or under it. */
  inZone(name: string): boolean {
    const domain = this.#zone.domain;
    return name === domain || (name.length > domain.length && name.endsWith(domain) && name[name.length - domain.length - 1] === '.');
  }

  respond(msg: Buffer, query: ParsedQuery, options: AnswerOptions): Buffer {
    // Mesos-DNS's legacy wildcard cleaning: `bob.*.mesos` is looked up as `bob.mesos`.
    const name = query.name.includes('.*') ? query.name.split('.*').join('') : query.name;
    const entry = this.#names.get(`${name}.`);
    const type = query.type;
    if (type === TYPE.SOA) return this.#authorityOnly(msg, query, RCODE.NOERROR, this.#soaTail, options);
    if (type === TYPE.NS) return this.#authorityOnly(msg, query, RCODE.NOERROR, this.#nsTail, options);
    if (!entry) return this.#authorityOnly(msg, query, type === TYPE.SRV ? RCODE.NOERROR : RCODE.NXDOMAIN, type === TYPE.SRV ? null : this.#soaTail, options);
    const empty = type === TYPE.A ? entry.a.length === 0 : type === TYPE.AAAA ? entry.aaaa.length === 0 : type === TYPE.SRV ? entry.srv.length === 0 : type !== TYPE.ANY;
    if (empty) return this.#authorityOnly(msg, query, RCODE.NOERROR, type === TYPE.SRV ? null : this.#soaTail, options);
    if (query.mixedCase || query.qclass !== CLASS_IN) return this.#exact(msg, query, name, entry, options);
    return this.#cached(msg, query, name, entry, options);
  }

  #soa(): ResourceRecord {
    const z = this.#zone;
    return { name: QNAME, type: TYPE.SOA, ttl: z.ttl, mname: z.soaMname, rname: z.soaRname, serial: this.#serial, refresh: z.soaRefresh, retry: z.soaRetry, expire: z.soaExpire, minimum: z.ttl };
  }

  /** Header + the client's question + a fixed tail (SOA or NS with owner = the question). */
  #authorityOnly(msg: Buffer, query: ParsedQuery, rcode: Rcode, tail: Buffer | null, options: AnswerOptions): Buffer {
    const tailLength = tail?.length ?? 0;
    const opt = options.optSize !== null;
    const out = Buffer.allocUnsafe(query.questionEnd + tailLength + (opt ? OPT_RR_SIZE : 0));
    msg.copy(out, 0, 0, query.questionEnd);
    out.writeUInt16BE(this.#flagsBase | (query.flags & 0x0110) | rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(0, 6);
    out.writeUInt16BE(tail ? 1 : 0, 8);
    out.writeUInt16BE(opt ? 1 : 0, 10);
    let offset = query.questionEnd;
    if (tail) offset += tail.copy(out, offset);
    if (opt) writeOpt(out, offset, options.optSize!);
    return out;
  }

  #sections(query: ParsedQuery, entry: NameEntry, owner: NameRef, rotation: number): Sections {
    const ttl = this.#zone.ttl;
    const answers: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    const authority: ResourceRecord[] = [];
    const type = query.type;
    if (type === TYPE.SRV || type === TYPE.ANY) {
      for (const v of rotate(entry.srv, rotation)) answers.push({ name: QNAME, type: TYPE.SRV, ttl, priority: 0, weight: this.#zone.srvWeight, port: v.port, target: v.target });
      const seen = new Set<string>();
      for (const v of entry.srv) {
        if (seen.has(v.target)) continue;
        seen.add(v.target);
        const target = this.#names.get(v.target);
        if (target?.a[0]) additional.push({ name: v.target, type: TYPE.A, ttl, ip: target.a[0] });
        if (target?.aaaa[0]) additional.push({ name: v.target, type: TYPE.AAAA, ttl, ip: target.aaaa[0] });
      }
    }
    if (type === TYPE.A || type === TYPE.ANY) for (const ip of rotate(entry.a, rotation)) answers.push({ name: owner, type: TYPE.A, ttl, ip });
    if (type === TYPE.AAAA || type === TYPE.ANY) for (const ip of rotate(entry.aaaa, rotation)) answers.push({ name: owner, type: TYPE.AAAA, ttl, ip });
    if (type === TYPE.ANY) {
      authority.push(this.#soa(), { name: QNAME, type: TYPE.NS, ttl, host: this.#zone.soaMname });
      if (answers.length === 0) authority.push(this.#soa());
    }
    return { rcode: RCODE.NOERROR, answers, authority, additional };
  }

  /** Encodes within the size limit: first whole, then without additional, then with fewer answers. */
  #encodeWithin(id: number, flags: number, question: Buffer, s: Sections, options: AnswerOptions): Buffer {
    const opt: ResourceRecord[] = options.optSize !== null ? [{ name: '', type: TYPE.OPT, udpSize: options.optSize }] : [];
    const full = encodeMessage({ id, flags: flags | s.rcode, question, answers: s.answers, authority: s.authority, additional: [...s.additional, ...opt] });
    if (full.length <= options.limit) return full;
    // Too big: truncated flag (when configured), no additional section, and the most answers that fit.
    const tc = this.#zone.setTruncateBit ? 0x0200 : 0;
    const withAnswers = (count: number) =>
      encodeMessage({ id, flags: flags | tc | s.rcode, question, answers: s.answers.slice(0, count), authority: s.authority, additional: opt });
    let best = withAnswers(0);
    let low = 1;
    let high = s.answers.length;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const candidate = withAnswers(mid);
      if (candidate.length <= options.limit) {
        best = candidate;
        low = mid + 1;
      } else high = mid - 1;
    }
    return best;
  }

  #cached(msg: Buffer, query: ParsedQuery, name: string, entry: NameEntry, options: AnswerOptions): Buffer {
    const key = query.type | (options.optSize !== null ? 0x10000 : 0);
    let byType = this.#cache.get(entry);
    if (!byType) this.#cache.set(entry, (byType = new Map()));
    let cached = byType.get(key);
    if (!cached) {
      const question = encodeQuestion(name, query.type);
      const count = Math.min(MAX_ROTATIONS, Math.max(1, query.type === TYPE.SRV ? entry.srv.length : query.type === TYPE.AAAA ? entry.aaaa.length : entry.a.length));
      const rotations: Buffer[] = [];
      const unlimited = { ...options, limit: 65535 };
      for (let r = 0; r < count; r++) rotations.push(this.#encodeWithin(0, this.#flagsBase, question, this.#sections(query, entry, QNAME, r), unlimited));
      cached = { rotations, next: 0, truncated: new Map() };
      byType.set(key, cached);
    }
    let template = cached.rotations[cached.next++ % cached.rotations.length]!;
    if (template.length > options.limit) {
      let truncated = cached.truncated.get(options.limit);
      if (!truncated) {
        truncated = this.#encodeWithin(0, this.#flagsBase, encodeQuestion(name, query.type), this.#sections(query, entry, QNAME, 0), options);
        cached.truncated.set(options.limit, truncated);
      }
      template = truncated;
    }
    const out = Buffer.allocUnsafe(template.length);
    template.copy(out);
    out.writeUInt16BE(query.id, 0);
    out[2] = out[2]! | (msg[2]! & 0x01);
    out[3] = out[3]! | (msg[3]! & 0x10);
    return out;
  }

  /** Mixed-case names and other classes: encoded for this query alone (Mesos-DNS answers A/AAAA with the lower-cased owner). */
  #exact(msg: Buffer, query: ParsedQuery, name: string, entry: NameEntry, options: AnswerOptions): Buffer {
    const question = msg.subarray(HEADER_SIZE, query.questionEnd);
    const sections = this.#sections(query, entry, `${name}.`, Math.floor(Math.random() * 1024));
    return this.#encodeWithin(query.id, this.#flagsBase | (query.flags & 0x0110), question, sections, options);
  }
}

function rotate<T>(values: readonly T[], by: number): readonly T[] {
  if (values.length < 2) return values;
  const k = by % values.length;
  return k === 0 ? values : [...values.slice(k), ...values.slice(0, k)];
}

function writeOpt(out: Buffer, offset: number, udpSize: number): void {
  out[offset] = 0;
  out.writeUInt16BE(TYPE.OPT, offset + 1);
  out.writeUInt16BE(udpSize, offset + 3);
  out.writeUInt32BE(0, offset + 5);
  out.writeUInt16BE(0, offset + 9);
}
