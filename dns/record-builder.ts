// Set-semantics storage while a record set is being built: one map of `name -> records`, insertion
// order kept, duplicates ignored. Which task inserted a record first (what Mesos-DNS's
// /v1/enumerate shows) is kept as a flat log of primitives and turned into objects only when asked:
// a 10,000-task cluster has a few hundred thousand records, and the API is rarely called.
import type { EnumeratedFramework, EnumeratedRecord, NameRecords, RecordSet, SrvValue } from './record-set.js';

/** Past this many values a list also gets a Set, so that huge names stay linear to build. */
const SMALL = 16;

interface MutableNameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvValue[];
  seen: Set<string> | null;
}

// Most names own one kind of record: lists start as this shared empty array and are replaced on
// the first push, which saves two allocations for most of the tens of thousands of names.
const EMPTY: never[] = [];

export interface EnumerationTask {
  readonly framework: number;
  readonly name: string;
  readonly id: string;
}

const TYPES = ['A', 'AAAA', 'SRV'] as const;

/** A Set of `kind + value` keys, made only for names with many values (e.g. `slave.<domain>`). */
function bigNameKeys(entry: MutableNameRecords): Set<string> {
  if (!entry.seen) {
    entry.seen = new Set();
    for (const ip of entry.a) entry.seen.add(ip);
    for (const ip of entry.aaaa) entry.seen.add(`6${ip}`);
    for (const v of entry.srv) entry.seen.add(`s${v.target}:${v.port}`);
  }
  return entry.seen;
}

export class RecordBuilder {
  readonly #names = new Map<string, MutableNameRecords>();
  /** Flat log: owner task index, rtype code (0 A, 1 AAAA, 2 SRV), name, host. */
  readonly #log: (string | number)[] = [];
  #owner = -1;
  readonly #trackOwners: boolean;

  /** With `trackOwners`, remember which task inserted each record first (only /v1/enumerate needs it). */
  constructor(trackOwners = false) {
    this.#trackOwners = trackOwners;
  }

  /** Records inserted from now on are attributed to task number `index` (-1: to nobody). */
  attributeTo(index: number): void {
    if (this.#trackOwners) this.#owner = index;
  }

  #entry(name: string): MutableNameRecords {
    let entry = this.#names.get(name);
    if (!entry) this.#names.set(name, (entry = { a: EMPTY, aaaa: EMPTY, srv: EMPTY, seen: null }));
    return entry;
  }

  addresses(name: string, ips: readonly string[]): void {
    if (ips.length === 0) return;
    const entry = this.#entry(name);
    for (const ip of ips) this.#add(entry, name, ip);
  }

  address(name: string, ip: string): void {
    this.#add(this.#entry(name), name, ip);
  }

  #add(entry: MutableNameRecords, name: string, ip: string): void {
    const v6 = ip.includes(':');
    const list = v6 ? entry.aaaa : entry.a;
    const keys = entry.seen ?? (list.length >= SMALL ? bigNameKeys(entry) : null);
    if (keys) {
      const key = v6 ? `6${ip}` : ip;
      if (keys.has(key)) return;
      keys.add(key);
    } else if (list.includes(ip)) return;
    if (v6) (entry.aaaa === EMPTY ? (entry.aaaa = []) : entry.aaaa).push(ip);
    else (entry.a === EMPTY ? (entry.a = []) : entry.a).push(ip);
    if (this.#owner >= 0) this.#log.push(this.#owner, v6 ? 1 : 0, name, ip);
  }

  srv(name: string, target: string, port: number): void {
    const entry = this.#entry(name);
    const keys = entry.seen ?? (entry.srv.length >= SMALL ? bigNameKeys(entry) : null);
    if (keys) {
      const key = `s${target}:${port}`;
      if (keys.has(key)) return;
      keys.add(key);
    } else {
      for (const v of entry.srv) if (v.port === port && v.target === target) return;
    }
    (entry.srv === EMPTY ? (entry.srv = []) : entry.srv).push({ target, port });
    if (this.#owner >= 0) this.#log.push(this.#owner, 2, name, `${target}:${port}`);
  }

  /** The enumeration from this builder's own log (when it tracked owners). */
  enumeration(frameworks: readonly string[], tasks: readonly EnumerationTask[]): EnumeratedFramework[] {
    const log = this.#log;
    const perTask: EnumeratedRecord[][] = tasks.map(() => []);
    for (let i = 0; i < log.length; i += 4) {
      perTask[log[i] as number]!.push({ name: log[i + 2] as string, host: log[i + 3] as string, rtype: TYPES[log[i + 1] as number]! });
    }
    return frameworks.map((name, f) => ({
      name,
      tasks: tasks.flatMap((task, t) => (task.framework === f ? [{ name: task.name, id: task.id, records: perTask[t]!.length ? perTask[t]! : null }] : [])),
    }));
  }

  build(enumerate: () => EnumeratedFramework[]): RecordSet {
    const names = this.#names as Map<string, NameRecords>;
    for (const entry of this.#names.values()) entry.seen = null;
    const view = <T>(pick: (r: NameRecords) => readonly T[]) => {
      let cached: Map<string, readonly T[]> | null = null;
      return () => {
        if (cached) return cached;
        cached = new Map();
        for (const [name, records] of names) if (pick(records).length) cached.set(name, pick(records));
        return cached;
      };
    };
    const aView = view((r) => r.a);
    const aaaaView = view((r) => r.aaaa);
    const srvView = view((r) => r.srv);
    let enumeration: EnumeratedFramework[] | null = null;
    return Object.freeze({
      names,
      get a() { return aView(); },
      get aaaa() { return aaaaView(); },
      get srv() { return srvView(); },
      enumerate(): readonly EnumeratedFramework[] {
        return (enumeration ??= enumerate());
      },
    });
  }
}
