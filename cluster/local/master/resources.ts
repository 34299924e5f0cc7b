// Scalar resources and port ranges as Mesos counts them. Ranges are kept sorted and merged so that
// "is this free?" and "take these" are simple walks, and they print in Mesos's own `[a-b, c-d]` form.

import { normalizeRanges, type PortRange } from '../../../core/index.js';

export { parsePortRanges, type PortRange } from '../../../core/index.js';

export interface Resources {
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly ports: readonly PortRange[];
}

export const NO_RESOURCES: Resources = { cpus: 0, mem: 0, disk: 0, ports: [] };

export function formatPortRanges(ranges: readonly PortRange[]): string {
  return `[${ranges.map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
}

export function rangesFromPorts(ports: readonly number[]): PortRange[] {
  return normalizeRanges(ports.map((p) => ({ begin: p, end: p })));
}

export function countPorts(ranges: readonly PortRange[]): number {
  let count = 0;
  for (const r of ranges) count += r.end - r.begin + 1;
  return count;
}

export function containsPort(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((r) => port >= r.begin && port <= r.end);
}

export function addResources(a: Resources, b: Resources): Resources {
  return { cpus: round(a.cpus + b.cpus), mem: round(a.mem + b.mem), disk: round(a.disk + b.disk), ports: normalizeRanges([...a.ports, ...b.ports]) };
}

export function subtractResources(a: Resources, b: Resources): Resources {
  return { cpus: round(a.cpus - b.cpus), mem: round(a.mem - b.mem), disk: round(a.disk - b.disk), ports: subtractRanges(a.ports, b.ports) };
}

/** True when `need` fits in `have` (ports: every port of `need` is in `have`). */
export function fits(have: Resources, need: Resources): boolean {
  return (
    need.cpus <= have.cpus + 1e-9 &&
    need.mem <= have.mem + 1e-9 &&
    need.disk <= have.disk + 1e-9 &&
    need.ports.every((r) => have.ports.some((h) => r.begin >= h.begin && r.end <= h.end))
  );
}

/** Splits `ranges` into `parts` disjoint slices of (nearly) equal size, for agents sharing one host. */
export function splitRanges(ranges: readonly PortRange[], parts: number): PortRange[][] {
  const ports: number[] = [];
  for (const r of ranges) for (let p = r.begin; p <= r.end; p++) ports.push(p);
  const size = Math.floor(ports.length / parts);
  return Array.from({ length: parts }, (_, i) => rangesFromPorts(ports.slice(i * size, i === parts - 1 ? ports.length : (i + 1) * size)));
}

/** Mesos's JSON shape for resources (`ports` as a range string). */
export function resourcesJson(r: Resources): Record<string, number | string> {
  const json: Record<string, number | string> = { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: 0 };
  if (r.ports.length > 0) json['ports'] = formatPortRanges(r.ports);
  return json;
}

function subtractRanges(have: readonly PortRange[], take: readonly PortRange[]): PortRange[] {
  let result = normalizeRanges(have);
  for (const t of take) {
    const next: PortRange[] = [];
    for (const r of result) {
      if (t.end < r.begin || t.begin > r.end) { next.push(r); continue; }
      if (r.begin < t.begin) next.push({ begin: r.begin, end: t.begin - 1 });
      if (r.end > t.end) next.push({ begin: t.end + 1, end: r.end });
    }
    result = next;
  }
  return result;
}

// Fractions of CPUs add up with binary noise (0.1 + 0.2); Mesos rounds to three decimals too.
function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
