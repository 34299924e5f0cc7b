// Configs and snapshots are shared by reference between parts; freezing makes "never changed after
// it was built" a guarantee instead of a convention.
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
