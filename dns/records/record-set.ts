// The record store built from one snapshot: Mesos-DNS's `name -> set(value)` per type.
// Names are lower-case FQDNs with a trailing dot, except legacy raw DiscoveryInfo names, which keep
// their case exactly as Mesos-DNS does (they show in AXFR/enumerate but can never match a query).

export interface SrvValue {
  readonly target: string;                 // FQDN with trailing dot
  readonly port: number;
}

export interface EnumeratedRecord {
  readonly name: string;
  readonly host: string;                   // IP for A/AAAA, `target:port` for SRV
  readonly rtype: 'A' | 'AAAA' | 'SRV';
}

export interface EnumeratedTask {
  readonly name: string;
  readonly id: string;
  /** Records first inserted by this task, in generation order; null when none (Mesos-DNS quirk). */
  readonly records: readonly EnumeratedRecord[] | null;
}

export interface EnumeratedFramework {
  readonly name: string;                   // raw framework name
  readonly tasks: readonly EnumeratedTask[];
}

/** Everything one name owns. Lists keep insertion order and hold no duplicates. */
export interface NameRecords {
  readonly a: readonly string[];
  readonly aaaa: readonly string[];
  readonly srv: readonly SrvValue[];
}

/** Records by name (FQDN with trailing dot), in insertion order: a record set's own map, or an answer table decoding its answers. */
export interface RecordLookup {
  get(name: string): NameRecords | undefined;
  entries(): IterableIterator<readonly [string, NameRecords]>;
}

/** What the Mesos-DNS HTTP API answers from: a record set, or an answer table with the enumeration beside it. */
export interface ServedRecords {
  readonly names: RecordLookup;
  enumerate(): readonly EnumeratedFramework[];
}

/** What DNS answers from: the names index alone (it crosses to DNS worker processes as a structured clone). */
export interface AnswerRecords {
  readonly names: ReadonlyMap<string, NameRecords>;
}

export interface RecordSet {
  /** name (FQDN with trailing dot) -> its records: the one index DNS answers from. */
  readonly names: ReadonlyMap<string, NameRecords>;
  /** Views per type (names with at least one record of that type), built on first use. */
  readonly a: ReadonlyMap<string, readonly string[]>;
  readonly aaaa: ReadonlyMap<string, readonly string[]>;
  readonly srv: ReadonlyMap<string, readonly SrvValue[]>;
  /** For `/v1/enumerate`: built on first call (it is big and rarely asked for). */
  enumerate(): readonly EnumeratedFramework[];
}

/** The zone's SOA/NS parameters (Mesos-DNS `SOA*` keys and `TTL`). */
export interface ZoneOptions {
  readonly domain: string;                 // lower case, no trailing dot, e.g. `mesos`
  readonly ttl: number;
  readonly soaMname: string;               // FQDN with trailing dot
  readonly soaRname: string;               // FQDN with trailing dot (`@` already replaced)
  readonly soaRefresh: number;
  readonly soaRetry: number;
  readonly soaExpire: number;
  readonly srvWeight: number;
  readonly recurse: boolean;               // RA bit on zone answers
  readonly setTruncateBit: boolean;
}
