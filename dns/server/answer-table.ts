// Every answer of the zone for one record set, built completely when the set is swapped in: per
// (name, A | AAAA | SRV) the whole response (question, answers, SRV additional) written one after
// another into one slab, and position-independent SOA/NS tails for negative answers and SOA/NS
// queries. Answering a lower-case query is then an index lookup, one copy into the response buffer and
// a patched ID. Answers rotate between a few orders: A/AAAA by copying their records from a later
// one, SRV from a message per rotation encoded when first asked for (names nobody asks cost
// nothing). Rules: Mesos-DNS's resolver. The record set is not kept: what needs the records themselves
// (the slow paths, the Mesos-DNS HTTP API through get()/entries()) reads them back from the answers;
// only names whose answers do not hold their records exactly keep them aside.
import { isIPv6 } from 'node:net';
import { encodeWithin, nsRecord, positiveSections, soaRecord, srvAdditional } from './answer-sections.js';
import type { AnswerRecords, NameRecords, RecordLookup, SrvValue, ZoneOptions } from '../records/record-set.js';
import { addressesIn, srvValuesIn } from '../wire/answer-reader.js';
import { NameIndex } from './name-index.js';
import { estimateSize, isAnswerableName, sameList, validAddress, writeOpt } from './answer-rules.js';
import { encodeRecordsAnywhere, isIpv4Literal, WireWriter, type ResourceRecord } from '../wire/encoder.js';
import { CLASS_IN, HEADER_SIZE, RCODE, skipName, TYPE, type ParsedQuery, type Rcode } from '../wire/format.js';

/** Orders an RRset's answers rotate through: enough to spread load. */
const MAX_ROTATIONS = 4;
const OPT_RR_SIZE = 11;
const SLOTS = 3;                           // A, AAAA, SRV
/** An A / AAAA answer: owner pointer, type, class, TTL, length, address. */
const A_RR_SIZE = 2 + 2 + 2 + 4 + 2 + 4;
const AAAA_RR_SIZE = 2 + 2 + 2 + 4 + 2 + 16;

export interface AnswerOptions {
  /** Largest response allowed on this transport for this client. */
  readonly limit: number;
  /** Append an OPT record advertising this UDP size (gatehouse mode, client sent EDNS0). */
  readonly optSize: number | null;
}

/** Decoded records kept for the slow paths: a few hundred names, a few tens of KB. */
const DECODED_KEPT = 256;

function slotOf(type: number): number {
  return type === TYPE.A ? 0 : type === TYPE.AAAA ? 1 : type === TYPE.SRV ? 2 : -1;
}

export class AnswerTable implements RecordLookup {
  /** Lower-case name without the trailing dot -> its number. */
  readonly #index: NameIndex;
  /** Records of indexed names their answers do not hold exactly (values left out, another IPv6 spelling), by name number. */
  readonly #aside = new Map<number, NameRecords>();
  /** Records decoded from the slab lately, by name number, least recently asked first (at most DECODED_KEPT). */
  readonly #decoded = new Map<number, NameRecords>();
  /** Names that cannot be queried (legacy raw names), with the number of the indexed name they came before. */
  readonly #unindexed = new Map<string, { readonly before: number; readonly records: NameRecords }>();
  readonly #zone: ZoneOptions;
  readonly #serial: number;
  readonly #soaTail: Buffer;
  readonly #nsTail: Buffer;
  readonly #flagsBase: number;
  /** All pre-encoded responses, back to back. */
  readonly #slab: Buffer;
  /** Per name * SLOTS + slot: the first message number and how many rotations follow it. */
  readonly #first: Int32Array;
  readonly #rotations: Uint8Array;
  /** Per message number: where it is in the slab. */
  readonly #offset: Int32Array;
  readonly #length: Int32Array;
  #turn = 0;
  /** SRV messages of rotations past the first, by name number * MAX_ROTATIONS + rotation: only names asked for. */
  readonly #srvRotations = new Map<number, Buffer>();
  /** Values left out because they are not IP literals of the record's family. */
  readonly skipped: number;

  constructor(records: AnswerRecords, zone: ZoneOptions, serial: number) {
    this.#zone = zone;
    this.#serial = serial >>> 0;
    this.#flagsBase = 0x8400 | (zone.recurse ? 0x0080 : 0);
    this.#soaTail = encodeRecordsAnywhere([soaRecord(zone, this.#serial)]);
    this.#nsTail = encodeRecordsAnywhere([nsRecord(zone)]);

    const count = records.names.size;
    this.#index = new NameIndex(count);
    this.#first = new Int32Array(count * SLOTS);
    this.#rotations = new Uint8Array(count * SLOTS);
    let offsets: number[] = [];
    let lengths: number[] = [];
    const w = new WireWriter(estimateSize(records.names));
    let skipped = 0;
    const targetAt = new Map<string, number>();
    for (const [fqdn, entry] of records.names) {
      // Legacy raw DiscoveryInfo names may keep upper case; a lower-cased query never matches them.
      if (!isAnswerableName(fqdn)) {
        this.#unindexed.set(fqdn, { before: this.#index.size, records: entry });
        continue;
      }
      const name = fqdn.slice(0, -1);
      const number = this.#index.size;
      let nameAt = -1;
      let exact = true;
      for (let slot = 0; slot < SLOTS; slot++) {
        let values: readonly unknown[];
        if (slot === 2) {
          const srv = entry.srv.every((v) => isAnswerableName(v.target)) ? entry.srv : entry.srv.filter((v) => isAnswerableName(v.target));
          values = srv;
        } else {
          const ips = slot === 0 ? entry.a : entry.aaaa;
          const valid = slot === 0 ? isIpv4Literal : isIPv6;
          values = ips.every(valid) ? ips : ips.filter(valid);
        }
        const all = slot === 0 ? entry.a.length : slot === 1 ? entry.aaaa.length : entry.srv.length;
        skipped += all - values.length;
        // A count past 16 bits cannot be read back from the header.
        if (values.length < all || values.length > 0xffff) exact = false;
        if (values.length === 0) continue;
        const n = Math.min(MAX_ROTATIONS, values.length);
        const additional = slot === 2 ? srvAdditional(records.names, { a: [], aaaa: [], srv: values as SrvValue[] }, zone.ttl).filter(validAddress) : null;
        this.#first[number * SLOTS + slot] = offsets.length;
        this.#rotations[number * SLOTS + slot] = n;
        // One message per RRset. A/AAAA answers are records of one size: rotated when copied out. SRV
        // answers (targets of different lengths, their addresses after them) are encoded per rotation
        // when first asked for (#srvRotation): pre-encoding every rotation took most of the slab.
        const start =
          slot === 2
            ? this.#writeSrv(w, name, values as SrvValue[], additional!, 0, targetAt)
            : this.#writeAddresses(w, name, values as string[], slot === 0 ? TYPE.A : TYPE.AAAA, 0);
        offsets.push(start);
        lengths.push(w.length - start);
        if (nameAt < 0) nameAt = start + HEADER_SIZE;
        // IPv4 literals have one spelling; an IPv6 one the reader would write differently is kept aside.
        if (slot === 1 && exact && !sameList(addressesIn(w.buf, start, w.length), values as string[])) exact = false;
      }
      if (!exact) this.#aside.set(number, entry);
      // The index reads each name from the slab: a name without answers (all its values left out) is written bare.
      if (nameAt < 0) {
        nameAt = w.length;
        w.plainName(name);
      }
      this.#index.add(name, nameAt);
    }
    this.skipped = skipped;
    this.#offset = Int32Array.from(offsets);
    this.#length = Int32Array.from(lengths);
    offsets = lengths = [];
    // The size estimate is within a few per cent (9.6 against 9.2 MB at 10,000 tasks): its buffer is
    // kept, and only a writer that had to grow (doubling) is copied to the right size. Copying it
    // every time held a second slab at each rebuild and left the first to the allocator's free lists.
    this.#slab = w.buf.length - w.length <= w.buf.length / 8 ? w.buf.subarray(0, w.length) : Buffer.from(w.buf.subarray(0, w.length));
    this.#index.seal(this.#slab);
  }

  /** The records of `fqdn` (with the trailing dot), as the record set held them. */
  get(fqdn: string): NameRecords | undefined {
    const number = fqdn.endsWith('.') ? this.#index.get(fqdn.slice(0, -1)) : -1;
    return number < 0 ? this.#unindexed.get(fqdn)?.records : this.#recordsOf(number);
  }

  /** Every name with its records, in the record set's order (the Mesos-DNS HTTP API's AXFR). */
  *entries(): IterableIterator<readonly [string, NameRecords]> {
    const unindexed = this.#unindexed.entries();
    let next = unindexed.next();
    for (let number = 0; number < this.#index.size; number++) {
      for (; !next.done && next.value[1].before <= number; next = unindexed.next()) yield [next.value[0], next.value[1].records];
      yield [`${this.#index.nameOf(number)}.`, this.#recordsOf(number)];
    }
    for (; !next.done; next = unindexed.next()) yield [next.value[0], next.value[1].records];
  }

  #recordsOf(number: number): NameRecords {
    const aside = this.#aside.get(number);
    if (aside) return aside;
    // The slow paths (mixed-case questions from resolvers using 0x20, ANY, SRV targets' addresses) ask
    // for the same few names query after query: decoded once, kept while they are asked for.
    const cached = this.#decoded.get(number);
    if (cached) {
      this.#decoded.delete(number);
      this.#decoded.set(number, cached);
      return cached;
    }
    const records = this.#decode(number);
    if (this.#decoded.size >= DECODED_KEPT) this.#decoded.delete(this.#decoded.keys().next().value!);
    this.#decoded.set(number, records);
    return records;
  }

  #decode(number: number): NameRecords {
    const slab = this.#slab;
    const at = (slot: number) => {
      const message = this.#first[number * SLOTS + slot]!;
      return [this.#offset[message]!, this.#offset[message]! + this.#length[message]!] as const;
    };
    const has = (slot: number) => this.#rotations[number * SLOTS + slot]! > 0;
    return {
      a: has(0) ? addressesIn(slab, ...at(0)) : [],
      aaaa: has(1) ? addressesIn(slab, ...at(1)) : [],
      srv: has(2) ? srvValuesIn(slab, ...at(2)) : [],
    };
  }

  /** Names that can be answered. */
  get size(): number {
    return this.#index.size;
  }

  /** Bytes of pre-encoded answers. */
  get bytes(): number {
    return this.#slab.length;
  }

  /** True when `name` (lower case, no trailing dot) is the zone's domain or under it. */
  inZone(name: string): boolean {
    const domain = this.#zone.domain;
    return name === domain || (name.length > domain.length && name.endsWith(domain) && name.charCodeAt(name.length - domain.length - 1) === 46);
  }

  respond(msg: Buffer, query: ParsedQuery, options: AnswerOptions): Buffer {
    const type = query.type;
    if (type === TYPE.SOA) return this.#authorityOnly(msg, query, RCODE.NOERROR, this.#soaTail, options);
    if (type === TYPE.NS) return this.#authorityOnly(msg, query, RCODE.NOERROR, this.#nsTail, options);
    // Mesos-DNS's legacy wildcard cleaning: `bob.*.mesos` is looked up as `bob.mesos`.
    const cleaned = query.name.includes('.*');
    const name = cleaned ? query.name.split('.*').join('') : query.name;
    const number = query.literalDot ? -1 : this.#index.get(name);
    if (number < 0) {
      if (type === TYPE.ANY) return this.#exact(msg, query, EMPTY, RCODE.NXDOMAIN, options);
      return type === TYPE.SRV
        ? this.#authorityOnly(msg, query, RCODE.NOERROR, null, options)
        : this.#authorityOnly(msg, query, RCODE.NXDOMAIN, this.#soaTail, options);
    }
    const slot = slotOf(type);
    const rotations = slot < 0 ? 0 : this.#rotations[number * SLOTS + slot]!;
    if (type === TYPE.ANY) return this.#exact(msg, query, this.#recordsOf(number), RCODE.NOERROR, options, name);
    // The name owns records (else it would not be indexed), so an empty type is NODATA.
    if (rotations === 0) return this.#authorityOnly(msg, query, RCODE.NOERROR, type === TYPE.SRV ? null : this.#soaTail, options);
    if (query.mixedCase || cleaned || query.qclass !== CLASS_IN) return this.#exact(msg, query, this.#recordsOf(number), RCODE.NOERROR, options, name);
    const turn = rotations > 1 ? this.#turn++ % rotations : 0;
    const message = this.#first[number * SLOTS + slot]!;
    if (turn === 0) return this.#copy(msg, query, this.#slab, this.#offset[message]!, this.#length[message]!, options);
    if (slot === 2) {
      const rotated = this.#srvRotation(number, name, turn);
      return this.#copy(msg, query, rotated, 0, rotated.length, options);
    }
    return this.#copy(msg, query, this.#rotated(query, message, turn, type === TYPE.A ? A_RR_SIZE : AAAA_RR_SIZE), 0, this.#length[message]!, options);
  }

  /** The SRV message of rotation `turn` (> 0) of name number `number`, encoded on first use and kept. */
  #srvRotation(number: number, name: string, turn: number): Buffer {
    const key = number * MAX_ROTATIONS + turn;
    let message = this.#srvRotations.get(key);
    if (!message) {
      const srv = this.#recordsOf(number).srv.filter((v) => isAnswerableName(v.target));
      const additional = srvAdditional(this, { a: [], aaaa: [], srv }, this.#zone.ttl).filter(validAddress);
      const w = new WireWriter(512);
      const start = this.#writeSrv(w, name, srv, additional, turn, new Map());
      message = Buffer.from(w.buf.subarray(start, w.length));
      this.#srvRotations.set(key, message);
    }
    return message;
  }

  /** An A/AAAA message with its answers rotated by `turn` (what rotation `turn` used to be pre-encoded as). */
  #rotated(query: ParsedQuery, message: number, turn: number, rrSize: number): Buffer {
    const offset = this.#offset[message]!;
    const length = this.#length[message]!;
    const out = Buffer.allocUnsafe(length);
    const answersAt = query.questionEnd;
    this.#slab.copy(out, 0, offset, offset + answersAt);
    const split = offset + answersAt + turn * rrSize;
    const copied = this.#slab.copy(out, answersAt, split, offset + length);
    this.#slab.copy(out, answersAt + copied, offset + answersAt, split);
    return out;
  }

  /** The fast path: the pre-encoded response with the client's ID and flags (and OPT), cut to fit. */
  #copy(msg: Buffer, query: ParsedQuery, slab: Buffer, offset: number, length: number, options: AnswerOptions): Buffer {
    const opt = options.optSize !== null ? OPT_RR_SIZE : 0;
    let tc = 0;
    let copied = length;
    let answers = -1;
    if (length + opt > options.limit) {
      // Mesos-DNS's truncation (§2.5): answers come before the additional section and point only
      // backwards, so a prefix ending after answer k is a valid reply with k answers.
      tc = this.#zone.setTruncateBit ? 0x02 : 0;
      let at = offset + query.questionEnd;
      const end = offset + length;
      const total = slab.readUInt16BE(offset + 6);
      answers = 0;
      while (answers < total) {
        const next = skipName(slab, at, end);
        if (next < 0) break;
        const after = next + 10 + slab.readUInt16BE(next + 8);
        if (after - offset + opt >= options.limit) break;
        at = after;
        answers++;
      }
      copied = at - offset;
    }
    const out = Buffer.allocUnsafe(copied + opt);
    slab.copy(out, 0, offset, offset + copied);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    out[2] = out[2]! | (msg[2]! & 0x01) | tc;
    out[3] = out[3]! | (msg[3]! & 0x10);
    if (answers >= 0) {
      out.writeUInt16BE(answers, 6);
      out.writeUInt16BE(0, 10);
    }
    if (opt) {
      writeOpt(out, copied, options.optSize!);
      out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    }
    return out;
  }

  /** A/AAAA: question, then every address with the owner pointing at the question. */
  #writeAddresses(w: WireWriter, name: string, ips: readonly string[], type: number, rotation: number): number {
    const start = w.beginMessage(false);
    this.#header(w, ips.length, 0);
    w.plainName(name);
    w.u16(type);
    w.u16(CLASS_IN);
    const ttl = this.#zone.ttl;
    for (let i = 0; i < ips.length; i++) {
      w.u16(0xc000 | HEADER_SIZE);
      w.u16(type);
      w.u16(CLASS_IN);
      w.u32(ttl);
      w.address(type, ips[(i + rotation) % ips.length]!);
    }
    return start;
  }

  /**
   * SRV: question, the SRVs, then one A/AAAA per target. A target is written once, compressed
   * against the question; later SRVs and the additional owners point at it.
   */
  #writeSrv(
    w: WireWriter, name: string, srv: readonly SrvValue[], additional: readonly ResourceRecord[], rotation: number,
    targetAt: Map<string, number>,
  ): number {
    const start = w.beginMessage(false);
    this.#header(w, srv.length, additional.length);
    w.plainName(name);
    w.u16(TYPE.SRV);
    w.u16(CLASS_IN);
    const { ttl, srvWeight } = this.#zone;
    targetAt.clear();
    for (let i = 0; i < srv.length; i++) {
      const v = srv[(i + rotation) % srv.length]!;
      w.u16(0xc000 | HEADER_SIZE);
      w.u16(TYPE.SRV);
      w.u16(CLASS_IN);
      w.u32(ttl);
      const lengthAt = w.length;
      w.u16(0);
      w.u16(0);
      w.u16(srvWeight);
      w.u16(v.port);
      const at = targetAt.get(v.target);
      if (at !== undefined) w.u16(0xc000 | at);
      else {
        targetAt.set(v.target, w.length - start);
        w.nameAgainstQuestion(v.target, name);
      }
      w.patch16(lengthAt, w.length - lengthAt - 2);
    }
    for (const rr of additional) {
      if (rr.type !== TYPE.A && rr.type !== TYPE.AAAA) continue;
      w.u16(0xc000 | targetAt.get(rr.name as string)!);
      w.u16(rr.type);
      w.u16(CLASS_IN);
      w.u32(ttl);
      w.address(rr.type, rr.ip);
    }
    return start;
  }

  #header(w: WireWriter, answers: number, additional: number): void {
    w.u16(0);
    w.u16(this.#flagsBase);
    w.u16(1);
    w.u16(answers);
    w.u16(0);
    w.u16(additional);
  }

  /** Header + the client's question + a fixed tail (SOA or NS with owner = the question). */
  #authorityOnly(msg: Buffer, query: ParsedQuery, rcode: Rcode, tail: Buffer | null, options: AnswerOptions): Buffer {
    const opt = options.optSize !== null ? OPT_RR_SIZE : 0;
    // Only a huge question with a huge SOA could overflow 512: then the tail goes and TC says so.
    const fits = query.questionEnd + (tail?.length ?? 0) + opt <= options.limit;
    const body = fits ? tail : null;
    const out = Buffer.allocUnsafe(query.questionEnd + (body?.length ?? 0) + opt);
    msg.copy(out, 0, 0, query.questionEnd);
    out.writeUInt16BE(this.#flagsBase | (query.flags & 0x0110) | (!fits && this.#zone.setTruncateBit ? 0x0200 : 0) | rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(0, 6);
    out.writeUInt16BE(body ? 1 : 0, 8);
    out.writeUInt16BE(opt ? 1 : 0, 10);
    let offset = query.questionEnd;
    if (body) offset += body.copy(out, offset);
    if (opt) writeOpt(out, offset, options.optSize!);
    return out;
  }

  /** Mixed-case and cleaned names, other classes, ANY: encoded for this query alone. */
  #exact(msg: Buffer, query: ParsedQuery, entry: NameRecords, rcode: Rcode, options: AnswerOptions, name = query.name): Buffer {
    const question = msg.subarray(HEADER_SIZE, query.questionEnd);
    // Mesos-DNS answers A/AAAA with the lower-cased (cleaned) owner, SRV with the question as sent.
    const clean = { a: entry.a.filter(isIpv4Literal), aaaa: entry.aaaa.filter(isIPv6), srv: entry.srv };
    const sections = positiveSections(this, this.#zone, this.#serial, clean, query.type, `${name}.`, this.#turn++);
    const additional = sections.additional.filter(validAddress);
    const flags = this.#flagsBase | (query.flags & 0x0110);
    return encodeWithin(query.id, flags, question, { ...sections, additional, rcode }, options.limit, this.#zone.setTruncateBit, options.optSize);
  }
}

const EMPTY: NameRecords = { a: [], aaaa: [], srv: [] };
