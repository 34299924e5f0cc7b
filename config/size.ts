// Sizes as operators write them (nginx style): a number of bytes, or `512k`, `32m`, `1g` (binary units).
const UNIT_BYTES: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes, or null when the value is not a size. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^(\d+)\s*([kmg]?)$/i.exec(value.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * UNIT_BYTES[match[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : null;
}
