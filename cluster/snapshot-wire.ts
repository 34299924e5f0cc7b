// A snapshot as it crosses to a gateway worker process: JSON text, made once per snapshot and sent
// to every worker, and rebuilt there as compact as the primary's own. Measured at 10,000 tasks, a
// structured clone (node:cluster's `advanced` serialization) was serialized once per worker, and
// arrived with every frozen array as a dictionary (V8 writes frozen arrays as sparse ones) and every
// string a copy of its own: 30 MB of heap per worker against 22 MB for the same snapshot in the primary.
import type { Snapshot } from './snapshot.js';
import { EMPTY, interner, type Intern } from './state-fields.js';

/** A snapshot's wire form (JSON: a snapshot holds only strings, numbers, booleans, null, lists and plain objects). */
export type SnapshotWire = string & { readonly __snapshotWire: true };

export function snapshotToWire(snapshot: Snapshot): SnapshotWire {
  return JSON.stringify(snapshot) as SnapshotWire;
}

/** The snapshot again: every part frozen, equal strings and equal lists of strings shared (a task's agent IPs are its agent's list). */
export function snapshotFromWire(wire: SnapshotWire): Snapshot {
  const settle = settler(interner(), new Map());
  return settle(JSON.parse(wire)) as Snapshot;
}

function settler(intern: Intern, stringLists: Map<string, readonly string[]>): (value: unknown) => unknown {
  const settle = (value: unknown): unknown => {
    if (typeof value === 'string') return intern(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      if (value.length === 0) return EMPTY;
      let allStrings = true;
      for (let i = 0; i < value.length; i++) {
        const item = settle(value[i]);
        value[i] = item;
        if (typeof item !== 'string') allStrings = false;
      }
      if (!allStrings) return Object.freeze(value);
      // NUL never occurs in an IP, id or name the snapshot lists, so the joined text names the list.
      const key = value.join('\0');
      const known = stringLists.get(key);
      if (known && known.length === value.length && known.every((item, i) => item === value[i])) return known;
      const frozen = Object.freeze(value as string[]);
      stringLists.set(key, frozen);
      return frozen;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = settle(record[key]);
    return Object.freeze(record);
  };
  return settle;
}
