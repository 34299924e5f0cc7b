// Port ranges as Mesos writes them (`31000-32000`, `[31000-31005, 31010-31010]`), merged and sorted.

export interface PortRange { readonly begin: number; readonly end: number }

/** `31000-32000`, `[31000-31005, 31010-31010]` or `31000-31005,31010` → merged ranges. */
export function parsePortRanges(text: string): PortRange[] {
  const body = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (body === '') return [];
  const ranges: PortRange[] = [];
  for (const part of body.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!match) throw new RangeError(`"${part.trim()}" is not a port or a port range (like 31000-32000)`);
    const begin = Number(match[1]);
    const end = match[2] === undefined ? begin : Number(match[2]);
    if (begin < 1 || end > 65535 || begin > end) throw new RangeError(`port range ${begin}-${end} must be within 1-65535 and ascending`);
    ranges.push({ begin, end });
  }
  return normalizeRanges(ranges);
}

export function normalizeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((x, y) => x.begin - y.begin);
  const merged: PortRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.begin <= last.end + 1) merged[merged.length - 1] = { begin: last.begin, end: Math.max(last.end, r.end) };
    else merged.push({ ...r });
  }
  return merged;
}

