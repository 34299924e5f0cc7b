// The answer table's index: lower-case name (no trailing dot) -> name number, without a string per
// name. Each name is already in the slab, as the question of its pre-encoded answers; the index is
// an open-addressing hash table of name numbers (two slots a name) compared against those bytes.
// A Map with a string key per name took 5 MB at 10,000 tasks (64,000 names); this takes 0.8 MB.

/** FNV-1a over the characters of `name` (lower-case ASCII; the table never holds anything else). */
function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class NameIndex {
  /** Name number + 1 per slot, 0 when empty. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** Per name number: where its name is in the slab (wire form, uncompressed). */
  readonly #at: Int32Array;
  #size = 0;
  #slab: Buffer = Buffer.alloc(0);

  constructor(capacity: number) {
    let slots = 8;
    while (slots < capacity * 2) slots *= 2;
    this.#slots = new Int32Array(slots);
    this.#mask = slots - 1;
    this.#at = new Int32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds the next name (its number is the count so far); `at`: where `name` is written in the slab. */
  add(name: string, at: number): number {
    const number = this.#size++;
    this.#at[number] = at;
    let slot = hashOf(name) & this.#mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = number + 1;
    return number;
  }

  /** The slab the names were written to, once it is final. */
  seal(slab: Buffer): void {
    this.#slab = slab;
  }

  /** The number of `name` (lower case, no trailing dot), or -1. */
  get(name: string): number {
    const slots = this.#slots;
    for (let slot = hashOf(name) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = slots[slot]!;
      if (entry === 0) return -1;
      if (this.#matches(this.#at[entry - 1]!, name)) return entry - 1;
    }
  }

  /** The name of `number`, without the trailing dot. */
  nameOf(number: number): string {
    const slab = this.#slab;
    let at = this.#at[number]!;
    let text = '';
    for (let length = slab[at]!; length !== 0; length = slab[at]!) {
      text += text ? `.${slab.toString('latin1', at + 1, at + 1 + length)}` : slab.toString('latin1', at + 1, at + 1 + length);
      at += length + 1;
    }
    return text;
  }

  /** The wire-form name at `at` spells `name`: label by label, every dot of `name` where a label ends. */
  #matches(at: number, name: string): boolean {
    const slab = this.#slab;
    let i = 0;
    for (let length = slab[at]!; length !== 0; length = slab[at]!) {
      if (i > 0) {
        if (name.charCodeAt(i) !== 46) return false;
        i++;
      }
      if (i + length > name.length) return false;
      for (let k = 1; k <= length; k++) if (slab[at + k] !== name.charCodeAt(i++)) return false;
      at += length + 1;
    }
    return i === name.length;
  }
}
