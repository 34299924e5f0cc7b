// Reading the app files of `cluster.local.apps`: each file read and validated on its own (a broken
// file keeps its last good apps, quarantined), and an app id defined twice kept by the first file.
// A file whose stat is unchanged since it was read is not read again (its last reading is kept): an
// app directory nobody touches costs a readdir and a stat per file on a reload, never a read.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatKeyPath } from '../../../config/index.js';
import { LocalClusterError } from '../errors.js';
import { appKeyPath, isAppError, parseAppFile, type AppDefinition, type AppFileStatus, type AppProblem } from './app-definition.js';

/** The names of app files: *.yaml, *.yml, *.json, not hidden. */
export const APP_FILE = /^[^.].*\.(ya?ml|json)$/;

/** Names of the app files of `dir`, sorted; null when `dir` does not exist. Other read errors throw. */
async function appFileNames(dir: string): Promise<string[] | null> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.isDirectory() && APP_FILE.test(e.name)).map((e) => e.name).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new LocalClusterError('ERR_CLUSTER_APPS_UNREADABLE', `${dir}: cannot read the app directory (${code ?? String(error)})`, { cause: error });
  }
}

/** What a reload remembers of a file it read: a later reload with the same stat reuses it unread. */
export interface AppFileReading {
  /** Size, modification time (ns) and inode when it was read (what the directory watch compares too). */
  readonly stamp: string;
  /** Wall-clock time (ms) just before it was read. */
  readonly readAt: number;
  readonly digest: string;
  readonly parsed: { readonly apps: AppDefinition[]; readonly problems: AppProblem[] };
}

/**
 * A file modified this close to (or after) its reading may have changed again within the same
 * timestamp tick (a coarse clock, a network filesystem): its stat cannot vouch for it, so it is read
 * again, as git treats "racily clean" index entries. Files quiet for longer are never re-read unchanged.
 */
const RACY_MS = 2000;

/**
 * Reads every app file of `dir` against the previous state: good files replace their apps, broken
 * ones keep their last good apps (quarantined). A missing directory means no apps. An app id that an
 * earlier file (by name) already defines is dropped, with an error on the later file naming the first.
 * `readings` (kept by the caller between reloads, updated here): files whose stat did not change since
 * their reading are not read again.
 */
export async function loadAppFiles(
  dir: string,
  previous: ReadonlyMap<string, AppFileStatus>,
  readings: Map<string, AppFileReading> = new Map(),
): Promise<Map<string, AppFileStatus>> {
  const root = resolve(dir);
  const next = new Map<string, AppFileStatus>();
  const seen = new Set<string>();
  for (const name of (await appFileNames(root)) ?? []) {
    const file = join(root, name);
    seen.add(file);
    const reading = await readAppFile(file, readings.get(file));
    if ('error' in reading) readings.delete(file);
    else readings.set(file, reading);
    const parsed =
      'error' in reading
        ? { apps: [], problems: [{ file, line: 1, col: 1, path: '', message: `cannot read (${reading.error})`, severity: 'error' as const }] }
        : reading.parsed;
    if (!parsed.problems.some(isAppError)) next.set(file, { file, status: 'ok', problems: parsed.problems, apps: parsed.apps });
    else next.set(file, { file, status: 'quarantined', problems: parsed.problems, apps: previous.get(file)?.apps ?? [] });
  }
  const claimed = new Map<string, AppDefinition>();
  for (const [file, status] of next) {
    const duplicates = status.apps.filter((app) => claimed.get(app.id) !== undefined);
    for (const app of status.apps) if (!claimed.has(app.id)) claimed.set(app.id, app);
    if (!duplicates.length) continue;
    const problems: AppProblem[] = duplicates.map((app) => {
      const first = claimed.get(app.id)!.source;
      const path = formatKeyPath([...appKeyPath(app), 'id']);
      return {
        file,
        line: app.source.line,
        col: app.source.col,
        path,
        message: `app ${app.id} is already defined in ${first.file}:${first.line}:${first.col}; this definition is ignored`,
        severity: 'error',
      };
    });
    next.set(file, {
      file,
      status: 'quarantined',
      problems: [...status.problems, ...problems],
      apps: status.apps.filter((app) => !duplicates.includes(app)),
    });
  }
  for (const file of readings.keys()) if (!seen.has(file)) readings.delete(file);
  return next;
}

/** The file's reading: the last one when its stat is unchanged (and not racy), else a fresh read. */
async function readAppFile(file: string, last: AppFileReading | undefined): Promise<AppFileReading | { error: string }> {
  const code = (e: NodeJS.ErrnoException) => ({ error: e.code ?? String(e) });
  const stats = await stat(file, { bigint: true }).catch(code);
  if ('error' in stats) return stats;
  const stamp = `${stats.size}:${stats.mtimeNs}:${stats.ino}`;
  if (last && last.stamp === stamp && Number(stats.mtimeMs) < last.readAt - RACY_MS) return last;
  const readAt = Date.now();
  const text = await readFile(file, 'utf8').catch(code);
  if (typeof text !== 'string') return text;
  const digest = digestOf(text);
  // Rewritten with the same content (touch, a no-op save): the parse is reused, the new stamp kept.
  const parsed = last?.digest === digest ? last.parsed : parseAppFile(text, file);
  return { stamp, readAt, digest, parsed };
}

/** What identifies one content of an app file (a write through the API checks that the file is still the one loaded). */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
