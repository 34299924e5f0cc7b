// A Mesos /master/state document made into a snapshot without ever holding the whole document
// parsed: a 50,000-task state (27 MB) was its bytes, its text and 53 MB of parsed objects at once,
// beside the serving snapshot, and that doubled the primary's peak memory. One pass over the bytes
// finds where each framework's task list holds each task; everything else (agents, framework
// headers) is parsed as one small document with those lists left empty, and the tasks are parsed
// one at a time from their bytes while the snapshot is built, each garbage once read.
//
// Every byte is still checked: the parts the pass skips are JSON.parse'd (the small document, each
// task, each element of the lists nothing reads), and the pass checks the commas and brackets
// between them. A document it cannot split, or any part that is not JSON, is parsed whole as
// before, so an invalid document fails with the same message as it always did.
import { parseJsonBytes } from './json-bytes.js';
import { parseMasterState, type ParseStateOptions } from './parse-state.js';
import type { SnapshotData } from './snapshot.js';
import { isObject } from './state-fields.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Lists no reader of the state looks at (completed tasks are up to 1,000 per framework): checked, then left out. */
const UNREAD_TOP = new Set(['completed_frameworks', 'orphan_tasks', 'unregistered_frameworks']);
const UNREAD_IN_FRAMEWORK = new Set(['completed_tasks', 'unreachable_tasks']);

/** A task's bytes: start and end offsets, flat. */
type Slices = number[];

export interface ScannedState {
  /** The document with every framework's task list empty (and the unread lists too). */
  readonly doc: unknown;
  /** A framework object of `doc` -> its tasks, parsed one by one as they are read. */
  readonly tasksOf: (framework: object) => Iterable<unknown> | null;
}

/** A part of the document is not JSON: the caller parses it whole for the usual error. */
class PartNotJson extends Error {}

/**
 * The state in `bytes` as a snapshot (as `parseMasterState(JSON.parse(text))` makes it), holding
 * the bytes and one task at a time. `notJson` starts the message when the document is not JSON.
 */
export async function parseStateBytes(bytes: Buffer, options: ParseStateOptions, notJson: string): Promise<SnapshotData> {
  return readStateDocument(bytes, notJson).snapshot(options);
}

/** A state read from its bytes: the document without its tasks now (its leader, its frameworks' pids), the snapshot when asked. */
export interface StateDocument {
  readonly doc: unknown;
  snapshot(options: ParseStateOptions): Promise<SnapshotData>;
}

/** As parseStateBytes, in two steps; a document that cannot be split and is not JSON fails here, as JSON.parse would. */
export function readStateDocument(bytes: Buffer, notJson: string): StateDocument {
  const scanned = scanState(bytes);
  if (!scanned) {
    const doc = parseJsonBytes(bytes, notJson);
    return { doc, snapshot: (options) => parseMasterState(doc, options) };
  }
  return {
    doc: scanned.doc,
    async snapshot(options) {
      try {
        return await parseMasterState(scanned.doc, { ...options, tasksOf: scanned.tasksOf });
      } catch (error) {
        if (!(error instanceof PartNotJson)) throw error;
        return parseMasterState(parseJsonBytes(bytes, notJson), options);
      }
    },
  };
}

/** The document split as above; null when it is not an object this pass can split, or a part is not JSON. */
export function scanState(bytes: Buffer): ScannedState | null {
  try {
    return new Scanner(bytes).state();
  } catch (error) {
    if (error instanceof PartNotJson) return null;
    throw error;
  }
}

function parsePart(bytes: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', start, end));
  } catch {
    throw new PartNotJson();
  }
}

class Scanner {
  readonly #bytes: Buffer;
  /** The small document, as text pieces between the lists left out. */
  readonly #pieces: string[] = [];
  #copiedTo = 0;
  /** Per element of the last "frameworks" list: its last "tasks" list (null: not a list, or not an object). */
  #frameworks: (Slices | null)[] | null = null;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  state(): ScannedState | null {
    const bytes = this.#bytes;
    let i = this.#ws(0);
    if (bytes[i] !== OPEN_OBJECT) return null;
    i = this.#members(i, (key, at) => {
      if (key === 'frameworks' && bytes[at] === OPEN_ARRAY) return this.#frameworksList(at);
      if (key === 'frameworks') this.#frameworks = null;
      if (UNREAD_TOP.has(key) && bytes[at] === OPEN_ARRAY) return this.#leaveOut(this.#list(at));
      return this.#value(at);
    });
    if (this.#ws(i) !== bytes.length) return null;
    this.#pieces.push(bytes.toString('utf8', this.#copiedTo, bytes.length));
    let doc: unknown;
    try {
      doc = JSON.parse(this.#pieces.join(''));
    } catch {
      return null;
    }
    const tasks = new WeakMap<object, Slices>();
    const frameworks = isObject(doc) ? doc['frameworks'] : undefined;
    if (Array.isArray(frameworks) && this.#frameworks && frameworks.length === this.#frameworks.length) {
      frameworks.forEach((framework: unknown, n) => {
        const slices = this.#frameworks![n];
        if (slices && isObject(framework)) tasks.set(framework, slices);
      });
    }
    return { doc, tasksOf: (framework) => (tasks.has(framework) ? lazyList(bytes, tasks.get(framework)!) : null) };
  }

  #frameworksList(at: number): number {
    const bytes = this.#bytes;
    const frameworks: (Slices | null)[] = [];
    const end = this.#elements(at, (start) => {
      if (bytes[start] !== OPEN_OBJECT) {
        frameworks.push(null);
        return this.#value(start);
      }
      let tasks: Slices | null = null;
      const after = this.#members(start, (key, valueAt) => {
        if (key === 'tasks') {
          if (bytes[valueAt] !== OPEN_ARRAY) {
            tasks = null;
            return this.#value(valueAt);
          }
          const list = this.#list(valueAt);
          tasks = list.slices;
          return this.#emptied(valueAt, list.end);
        }
        if (UNREAD_IN_FRAMEWORK.has(key) && bytes[valueAt] === OPEN_ARRAY) return this.#leaveOut(this.#list(valueAt));
        return this.#value(valueAt);
      });
      frameworks.push(tasks);
      return after;
    });
    this.#frameworks = frameworks;
    return end;
  }

  /** A list nothing reads: each element checked, the list left empty in the small document. */
  #leaveOut(list: { slices: Slices; start: number; end: number }): number {
    for (let k = 0; k < list.slices.length; k += 2) parsePart(this.#bytes, list.slices[k]!, list.slices[k + 1]!);
    return this.#emptied(list.start, list.end);
  }

  /** The list from `start` to `end` becomes `[]` in the small document. */
  #emptied(start: number, end: number): number {
    this.#pieces.push(this.#bytes.toString('utf8', this.#copiedTo, start), '[]');
    this.#copiedTo = end;
    return end;
  }

  #list(at: number): { slices: Slices; start: number; end: number } {
    const slices: Slices = [];
    const end = this.#elements(at, (start) => {
      const after = this.#value(start);
      slices.push(start, after);
      return after;
    });
    return { slices, start: at, end };
  }

  /** The elements of the list at `at` (`[`), each read by `element` from its first byte; returns the end of the list. */
  #elements(at: number, element: (start: number) => number): number {
    const bytes = this.#bytes;
    let i = this.#ws(at + 1);
    if (bytes[i] === CLOSE_ARRAY) return i + 1;
    for (;;) {
      i = this.#ws(element(i));
      if (bytes[i] === COMMA) i = this.#ws(i + 1);
      else if (bytes[i] === CLOSE_ARRAY) return i + 1;
      else throw new PartNotJson();
    }
  }

  /** The members of the object at `at` (`{`), each value read by `member`; returns the end of the object. */
  #members(at: number, member: (key: string, valueAt: number) => number): number {
    const bytes = this.#bytes;
    let i = this.#ws(at + 1);
    if (bytes[i] === CLOSE_OBJECT) return i + 1;
    for (;;) {
      if (bytes[i] !== QUOTE) throw new PartNotJson();
      const keyEnd = this.#string(i);
      const key = parsePart(bytes, i, keyEnd) as string;
      i = this.#ws(keyEnd);
      if (bytes[i] !== COLON) throw new PartNotJson();
      i = this.#ws(member(key, this.#ws(i + 1)));
      if (bytes[i] === COMMA) i = this.#ws(i + 1);
      else if (bytes[i] === CLOSE_OBJECT) return i + 1;
      else throw new PartNotJson();
    }
  }

  /** The end of the value at `at`: brackets counted, strings skipped (JSON.parse checks the rest later). */
  #value(at: number): number {
    const bytes = this.#bytes;
    const first = bytes[at];
    if (first === QUOTE) return this.#string(at);
    if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
      let i = at;
      while (i < bytes.length) {
        const c = bytes[i]!;
        if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
        i++;
      }
      if (i === at) throw new PartNotJson();
      return i;
    }
    let depth = 0;
    for (let i = at; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === QUOTE) i = this.#string(i) - 1;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    throw new PartNotJson();
  }

  /** The end of the string whose opening quote is at `at`. */
  #string(at: number): number {
    const bytes = this.#bytes;
    for (let i = at + 1; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) return i + 1;
    }
    throw new PartNotJson();
  }

  #ws(at: number): number {
    const bytes = this.#bytes;
    let i = at;
    while (i < bytes.length) {
      const c = bytes[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }
}

/** The tasks of one framework, each parsed when the iteration reaches it. */
function* lazyList(bytes: Buffer, slices: Slices): Generator<unknown> {
  for (let k = 0; k < slices.length; k += 2) yield parsePart(bytes, slices[k]!, slices[k + 1]!);
}
