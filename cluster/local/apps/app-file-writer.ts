// Writes through the Marathon API land in the app files, which stay the source of truth: an app that
// lives in a file is changed there (YAML edited in place, so the operator's comments, key order and
// other apps stay and `git diff` shows just the change), a new app gets a file of its own in the
// format the folder already uses, a removed app leaves its file. Every write is checked with the app
// files' own parser first (nothing is written when it fails), written beside and renamed over, and
// refused when the file on disk is not the one last loaded: an operator's edit that the watcher has
// not read yet is never overwritten (the API answers 409; an edit after an API write simply wins).
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { yamlLibrary } from '../../../config/index.js';
import { digestOf } from './app-files.js';
import { appKeyPath, isAppError, parseAppFile, type AppFileStatus, type AppProblem } from './app-definition.js';

/** The app files as the writer needs them (the AppCatalog). */
export interface WritableAppFiles {
  readonly dir: string;
  files(): readonly AppFileStatus[];
  loadedDigest(file: string): string | undefined;
  reload(): Promise<void>;
}

export type AppFileErrorCode = 'ERR_CLUSTER_APP_FILE_INVALID' | 'ERR_CLUSTER_APP_FILE_CONFLICT' | 'ERR_CLUSTER_APP_FILE_NOT_FOUND';

export class AppFileError extends Error {
  readonly code: AppFileErrorCode;
  /** For ERR_CLUSTER_APP_FILE_INVALID: the problems, with paths relative to the app. */
  readonly problems: readonly AppProblem[];

  constructor(code: AppFileErrorCode, message: string, problems: readonly AppProblem[] = []) {
    super(message);
    this.name = 'AppFileError';
    this.code = code;
    this.problems = problems;
  }
}

type Raw = Record<string, unknown>;

interface Located {
  readonly status: AppFileStatus;
  /** Where the app is in the file: [] for a one-app file, ['apps', i] in a group. */
  readonly at: readonly (string | number)[];
}

export class AppFileWriter {
  readonly #files: WritableAppFiles;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(files: WritableAppFiles) {
    this.#files = files;
  }

  /** The app's definition as written in its file (absolute id), or null when no file defines it. */
  async read(appId: string): Promise<Raw | null> {
    const found = this.#locate(appId);
    if (!found) return null;
    const text = await readFile(found.status.file, 'utf8');
    const raw = rawAt(yamlLibrary().parseDocument(text).toJS() as unknown, found.at);
    return raw ? { ...raw, id: appId } : null;
  }

  /** Writes `definition` (Marathon JSON with the absolute id `appId`) as the app's file content. */
  put(appId: string, definition: Raw, options: { create: boolean }): Promise<void> {
    return this.#serial(async () => {
      const problems = parseAppFile(JSON.stringify({ ...definition, id: appId }), 'request').problems.filter(isAppError);
      if (problems.length) throw new AppFileError('ERR_CLUSTER_APP_FILE_INVALID', 'Object is not valid', problems);
      const found = this.#locate(appId);
      if (!found) {
        if (!options.create) throw new AppFileError('ERR_CLUSTER_APP_FILE_NOT_FOUND', `App '${appId}' does not exist`);
        return this.#create(appId, definition);
      }
      const text = await this.#unchanged(found.status.file);
      const next = extname(found.status.file) === '.json' ? editJson(text, found.at, definition) : editYaml(text, found.at, definition);
      const check = parseAppFile(next, found.status.file).problems.filter(isAppError);
      if (check.length)
        throw new AppFileError(
          'ERR_CLUSTER_APP_FILE_INVALID',
          `the change does not fit ${basename(found.status.file)}: ${check[0]!.path}: ${check[0]!.message}`,
          check,
        );
      await this.#replace(found.status.file, text, next);
    });
  }

  /** Removes the app: its file, or its entry in a group file (and the file once the group is empty). */
  remove(appId: string): Promise<void> {
    return this.#serial(async () => {
      const found = this.#locate(appId);
      if (!found) throw new AppFileError('ERR_CLUSTER_APP_FILE_NOT_FOUND', `App '${appId}' does not exist`);
      const text = await this.#unchanged(found.status.file);
      const json = extname(found.status.file) === '.json';
      const rest = found.at.length === 0 ? null : removeEntry(text, found.at, json);
      if (rest !== null) return this.#replace(found.status.file, text, rest);
      await unlink(found.status.file);
      await this.#files.reload();
    });
  }

  #locate(appId: string): Located | null {
    for (const status of this.#files.files()) {
      const app = status.apps.find((a) => a.id === appId);
      if (app) return { status, at: appKeyPath(app) };
    }
    return null;
  }

  /** The file's text, provided it is what was last loaded (and loaded cleanly); else a conflict. */
  async #unchanged(file: string): Promise<string> {
    const status = this.#files.files().find((f) => f.file === file);
    if (status?.status === 'quarantined')
      throw new AppFileError(
        'ERR_CLUSTER_APP_FILE_CONFLICT',
        `${file} has errors (its last good apps keep running); fix the file before changing its apps through the API`,
      );
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null || digestOf(text) !== this.#files.loadedDigest(file)) {
      throw new AppFileError(
        'ERR_CLUSTER_APP_FILE_CONFLICT',
        `${file} changed on disk since it was loaded; the API does not overwrite it. Retry once the change is applied.`,
      );
    }
    return text;
  }

  async #create(appId: string, definition: Raw): Promise<void> {
    const json = this.#preferJson();
    const file = join(this.#files.dir, `${appId.split('/').filter(Boolean).join('_')}.${json ? 'json' : 'yaml'}`);
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      throw new AppFileError(
        'ERR_CLUSTER_APP_FILE_CONFLICT',
        `${file} exists already (and does not define ${appId}); move it out of the way first`,
      );
    const body = { ...definition, id: appId };
    await this.#atomicWrite(file, json ? `${JSON.stringify(body, null, 2)}\n` : yamlLibrary().stringify(body), 0o644);
    await this.#files.reload();
  }

  async #replace(file: string, before: string, text: string): Promise<void> {
    const mode = (await stat(file)).mode & 0o777;
    await this.#atomicWrite(file, text, mode, before);
    await this.#files.reload();
  }

  /** Temp file in the same directory (hidden, so the watcher skips it), then rename: readers see old or new, never half. */
  async #atomicWrite(file: string, text: string, mode: number, expected?: string): Promise<void> {
    const temp = join(this.#files.dir, `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, text, { mode });
      await chmod(temp, mode);
      // Last look before the rename narrows the window for an edit made meanwhile to a few microseconds.
      if (expected !== undefined && (await readFile(file, 'utf8').catch(() => null)) !== expected) {
        throw new AppFileError('ERR_CLUSTER_APP_FILE_CONFLICT', `${file} changed on disk while the API was writing it; the API does not overwrite it`);
      }
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** New apps follow the folder: JSON when most app files are JSON, else YAML. */
  #preferJson(): boolean {
    const files = this.#files.files().map((f) => extname(f.file));
    return files.filter((e) => e === '.json').length > files.filter((e) => e !== '.json').length;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function rawAt(root: unknown, at: readonly (string | number)[]): Raw | null {
  let node = root;
  for (const part of at) node = (node as Record<string | number, unknown> | null)?.[part];
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Raw) : null;
}

/**
 * The file's own id spelling (relative in a group) is kept; every other key becomes the definition's.
 * When only single-line values change (the usual scale or command edit) just those values are
 * replaced in the text, so every other byte (comments, their spacing, quoting) stays; otherwise the
 * document is edited and printed again (comments kept, spacing normalised).
 */
function editYaml(text: string, at: readonly (string | number)[], definition: Raw): string {
  const doc = yamlLibrary().parseDocument(text);
  const old = rawAt(doc.toJS() as unknown, at) ?? {};
  const removed = Object.keys(old).filter((key) => key !== 'id' && !(key in definition));
  const changed = Object.entries(definition).filter(([key, value]) => key !== 'id' && !isDeepStrictEqual(old[key], value));
  const splices = changed.map(([key, value]) => {
    const node = doc.getIn([...at, key], true);
    const replacement = value !== null && typeof value === 'object' ? '\n' : yamlLibrary().stringify(value).trimEnd();
    // Only one-line scalars are replaced in the text: a block scalar (`cmd: >-`) spans lines.
    const inline = yamlLibrary().isScalar(node) && node.range && (node.type === 'PLAIN' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    return inline && !replacement.includes('\n') ? { start: node.range![0], end: node.range![1], replacement } : null;
  });
  if (removed.length === 0 && splices.every((s) => s !== null)) {
    let out = text;
    for (const s of splices.sort((a, b) => b!.start - a!.start)) out = out.slice(0, s!.start) + s!.replacement + out.slice(s!.end);
    return out;
  }
  for (const key of removed) doc.deleteIn([...at, key]);
  for (const [key, value] of changed) doc.setIn([...at, key], value);
  return doc.toString();
}

function editJson(text: string, at: readonly (string | number)[], definition: Raw): string {
  const root = JSON.parse(text) as unknown;
  const old = rawAt(root, at) ?? {};
  const merged: Raw = {};
  for (const key of Object.keys(old)) if (key === 'id' || key in definition) merged[key] = key === 'id' ? old[key] : definition[key];
  for (const [key, value] of Object.entries(definition)) if (!(key in merged)) merged[key] = value;
  if (at.length === 0) return `${JSON.stringify(merged, null, 2)}\n`;
  (root as { apps: Raw[] }).apps[at.at(-1) as number] = merged;
  return `${JSON.stringify(root, null, 2)}\n`;
}

/** The file without the app at `at` (a group entry), or null when no app would be left. */
function removeEntry(text: string, at: readonly (string | number)[], json: boolean): string | null {
  const index = at.at(-1) as number;
  if (json) {
    const root = JSON.parse(text) as { apps: unknown[] };
    root.apps.splice(index, 1);
    return root.apps.length ? `${JSON.stringify(root, null, 2)}\n` : null;
  }
  const doc = yamlLibrary().parseDocument(text);
  doc.deleteIn(at);
  return ((doc.toJS() as { apps?: unknown[] }).apps ?? []).length ? doc.toString() : null;
}
