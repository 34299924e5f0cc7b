// Small readers for the untyped JSON of a Mesos state document: each returns a typed value or a
// fallback, so a field of the wrong type is skipped instead of throwing a TypeError downstream.
import type { Label } from './snapshot.js';

export type Json = Record<string, unknown>;

/** Snapshots are frozen as they are built (a recursive freeze afterwards costs ~40 ms per 10,000
 * tasks); empty lists, the common case, are all this one object. */
export const EMPTY: readonly never[] = Object.freeze([]);

export function frozenList<T>(items: T[]): readonly T[] {
  // A copy: a list grown by push keeps room for 16 more items, 152 bytes for a one-item list, and a
  // snapshot keeps two such lists a task (container IPs, ports): 2.9 MB at 10,000 tasks.
  return items.length === 0 ? EMPTY : Object.freeze(items.slice());
}

/** Returns one copy of each distinct string it is given. */
export type Intern = (value: string) => string;

/**
 * A pool for the strings a state repeats per task (agent and framework ids, states, app names, label
 * keys, protocols): JSON.parse and a structured clone make a new copy of every occurrence, the
 * pool keeps one. It lives as long as one parse, so strings of tasks that are gone are not kept.
 */
export function interner(): Intern {
  const pool = new Map<string, string>();
  return (value) => {
    const known = pool.get(value);
    if (known !== undefined) return known;
    pool.set(value, value);
    return value;
  };
}

const asIs: Intern = (value) => value;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

export function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function objects(value: unknown): Json[] {
  return list(value).filter(isObject);
}

/** Mesos renders `Labels` as `{labels: [...]}` in some places and as a bare array in others. */
export function labelsOf(value: unknown, intern: Intern = asIs): readonly Label[] {
  const entries = Array.isArray(value) ? value : isObject(value) ? list(value['labels']) : [];
  const labels: Label[] = [];
  for (const entry of entries) {
    if (isObject(entry) && typeof entry['key'] === 'string') labels.push(Object.freeze({ key: intern(entry['key']), value: intern(str(entry['value'])) }));
  }
  return frozenList(labels);
}

/** Mesos range strings: "[31000-31001, 31005-31005]" -> 31000, 31001, 31005. Bad entries are skipped. */
export function expandPortRanges(value: unknown, limit = 65536): readonly number[] {
  if (typeof value !== 'string') return EMPTY;
  const inner = value.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (!inner) return EMPTY;
  const ports: number[] = [];
  for (const part of inner.split(',')) {
    const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part) ?? /^\s*(\d+)\s*$/.exec(part);
    if (!match) continue;
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    if (low > high || high > 65535) continue;
    for (let port = low; port <= high && ports.length < limit; port++) ports.push(port);
  }
  return frozenList(ports);
}

/** Scalar resources (`cpus`, `mem`, `disk`) are numbers in /master/state. */
export function scalar(resources: unknown, name: string): number {
  return isObject(resources) ? num(resources[name]) : 0;
}
