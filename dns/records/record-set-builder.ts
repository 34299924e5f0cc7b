// Set-semantics storage while a record set is being built: one map of `name -> records`, insertion
// order kept, duplicates ignored. Which task inserted a record first (what Mesos-DNS's
// /v1/enumerate shows) is kept as a flat log of primitives and turned into objects only when asked:
// a 10,000-task cluster has a few hundred thousand records, and the API is rarely called.
import type { EnumeratedFramework, EnumeratedRecord, NameRecords, RecordSet, SrvValue } from './record-set.js';

/** Past this many values a list also gets a lookup structure, so that huge names stay linear to build. */
const SMALL = 16;

/** One name's records while building; from-snapshot.ts keeps these to skip map lookups for names tasks share. */
export interface NameEntry {
  readonly name: string;
  a: string[];
  aaaa: string[];
  srv: SrvValue[];
  /** For names with many values only: IPs seen (v4 and v6 texts never collide) and ports per SRV target. */
  ipSeen: Set<string> | null;
  srvSeen: Map<string, number[]> | null;
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

function ipSeen(entry: NameEntry): Set<string> {
  if (!entry.ipSeen) entry.ipSeen = new Set([...entry.a, ...entry.aaaa]);
  return entry.ipSeen;
}

function srvSeen(entry: NameEntry): Map<string, number[]> {
  if (!entry.srvSeen) {
    entry.srvSeen = new Map();
    for (const v of entry.srv) addPort(entry.srvSeen, v.target, v.port);
  }
  return entry.srvSeen;
}

/** Records `port` for `target`; false when it was there already. */
function addPort(seen: Map<string, number[]>, target: string, port: number): boolean {
  const ports = seen.get(target);
  if (!ports) seen.set(target, [port]);
  else if (ports.includes(port)) return false;
  else ports.push(port);
  return true;
}

/**
 * `name` as one flat string. A name made by `+` or a template is a rope (a cons string) of its parts;
 * V8 flattens it on the first Map lookup but keeps the rope as a 32-byte wrapper in front of the
 * flat text for as long as the name lives: 2 MB at 10,000 tasks. `normalize()` returns the flat text
 * itself; a name it would change (not NFC: only a legacy raw name could be) stays as it is.
 */
export function flatName(name: string): string {
  const flat = name.normalize();
  return flat === name ? flat : name;
}

export class RecordBuilder {
  readonly #names = new Map<string, NameEntry>();
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

  /** The entry of `name`, created empty if new: call it only right before adding a value. */
  entry(name: string): NameEntry {
    let entry = this.#names.get(name);
    if (!entry) {
      const key = flatName(name);
      this.#names.set(key, (entry = { name: key, a: EMPTY, aaaa: EMPTY, srv: EMPTY, ipSeen: null, srvSeen: null }));
    }
    return entry;
  }

  addresses(name: string, ips: readonly string[]): void {
    if (ips.length === 0) return;
    const entry = this.entry(name);
    for (const ip of ips) this.addIp(entry, ip);
  }

  addIp(entry: NameEntry, ip: string): void {
    const v6 = ip.includes(':');
    const list = v6 ? entry.aaaa : entry.a;
    if (entry.ipSeen || list.length >= SMALL) {
      const seen = ipSeen(entry);
      if (seen.has(ip)) return;
      seen.add(ip);
    } else if (list.includes(ip)) return;
    if (v6) (entry.aaaa === EMPTY ? (entry.aaaa = []) : entry.aaaa).push(ip);
    else (entry.a === EMPTY ? (entry.a = []) : entry.a).push(ip);
    if (this.#owner >= 0) this.#log.push(this.#owner, v6 ? 1 : 0, entry.name, ip);
  }

  srv(name: string, target: string, port: number): void {
    this.addSrv(this.entry(name), { target, port });
  }

  /** `value` may be shared between names (it is never changed). */
  addSrv(entry: NameEntry, value: SrvValue): void {
    const { target, port } = value;
    if (entry.srvSeen || entry.srv.length >= SMALL) {
      if (!addPort(srvSeen(entry), target, port)) return;
    } else {
      for (const v of entry.srv) if (v.port === port && v.target === target) return;
    }
    (entry.srv === EMPTY ? (entry.srv = []) : entry.srv).push(value);
    if (this.#owner >= 0) this.#log.push(this.#owner, 2, entry.name, `${target}:${port}`);
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
    const names = this.#names as unknown as Map<string, NameRecords>;
    // One-address lists are shared between the names that hold the same address: every task's
    // `.slave.` names hold its agent's IP (10,000 lists of 10 agents' addresses at 10,000 tasks).
    const single = new Map<string, string[]>();
    const exact = (list: string[]): string[] => {
      if (list.length === 0) return EMPTY;
      if (list.length > 1) return list.slice();
      let shared = single.get(list[0]!);
      if (!shared) single.set(list[0]!, (shared = [list[0]!]));
      return shared;
    };
    for (const [name, entry] of this.#names) {
      // A list grown by push keeps room for 16 more values: most names hold one or a few, and a
      // 10,000-task set has some 130,000 lists, so exact-size copies save some 13 MB (heap snapshot).
      // The entry itself becomes the three lists alone (the name, the lookup sets: 24 bytes a name more).
      names.set(name, {
        a: exact(entry.a),
        aaaa: exact(entry.aaaa),
        srv: entry.srv.length > 0 ? entry.srv.slice() : EMPTY,
      });
    }
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
