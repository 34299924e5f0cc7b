// The agent's files API (what Mesos's `/files/*` endpoints and the agent calls LIST_FILES and
// READ_FILE answer): sandboxes are "attached" under virtual paths, as a Mesos agent attaches them,
// and a request may reach only what lies inside an attached sandbox. Everything else, however it is
// spelled (`..`, a symlink that points out, a path never attached), is refused with a 4xx that says
// why; nothing outside a sandbox is ever opened.
import { open, readdir, realpath, stat, lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { LocalClusterError, type LocalClusterErrorCode } from '../errors.js';
import type { LocalAgent } from './agent.js';
import { fileModeString, groupName, userName } from './file-owners.js';

/** Mesos answers at most 16 pages per `/files/read`; longer reads come back short, the caller asks again. */
export const MAX_READ_BYTES = 16 * 4096;

/** One executor run the agent knows: a live task's or a finished one's that is still on disk. */
export interface ExecutorRun {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly containerId: string;
  readonly directory: string;
}

export interface FileInfo {
  readonly path: string;
  /** st_mode as a number (the agent calls' FileInfo.mode); `mode` is its `ls -l` string. */
  readonly modeBits: number;
  readonly nlink: number;
  readonly size: number;
  readonly mtime: number;
  readonly mode: string;
  readonly uid: string;
  readonly gid: string;
}

export type FilesErrorCode = Extract<LocalClusterErrorCode, `ERR_CLUSTER_LOCAL_FILES_${string}`>;

/** A refused files request; `status` is the HTTP answer (400, 403, 404). */
export class FilesError extends LocalClusterError {
  readonly status: number;
  constructor(code: FilesErrorCode, status: number, message: string) {
    super(code, message);
    this.status = status;
  }
}

export class SandboxFiles {
  readonly #agent: LocalAgent;
  readonly #finishedRuns: () => readonly ExecutorRun[];

  /** `finishedRuns`: runs of tasks that ended (the master's completed tasks on this agent). */
  constructor(agent: LocalAgent, finishedRuns: () => readonly ExecutorRun[]) {
    this.#agent = agent;
    this.#finishedRuns = finishedRuns;
  }

  /** Every run this agent serves files of: live tasks first, then finished ones still on disk. */
  runs(): ExecutorRun[] {
    const live = this.#agent
      .tasks()
      .map((t) => ({ frameworkId: t.launch.frameworkId, executorId: t.launch.taskId, containerId: t.runId, directory: t.sandbox }));
    const seen = new Set(live.map((r) => r.directory));
    return [...live, ...this.#finishedRuns().filter((r) => !seen.has(r.directory))];
  }

  /**
   * The `{virtual: real}` map of `/files/debug`. As a Mesos agent does, each run's directory is
   * attached under its own real path, and the newest run of each executor also under
   * `/frameworks/<fw>/executors/<executor>/runs/latest` (and the real `runs/latest`).
   */
  attached(): Map<string, string> {
    const map = new Map<string, string>();
    // Oldest first, so that a newer run of the same executor takes `latest`.
    for (const run of [...this.runs()].reverse()) {
      map.set(run.directory, run.directory);
      const latest = `/frameworks/${run.frameworkId}/executors/${run.executorId}/runs/latest`;
      map.set(latest, run.directory);
      map.set(join(this.#agent.workDir, latest), run.directory);
    }
    return map;
  }

  /**
   * The real path for a requested virtual one, checked: absolute, no `.`/`..` segment, NUL or
   * control character, under an attached root, and (symlinks resolved) still inside that root.
   */
  async resolve(requested: string): Promise<string> {
    if (!requested) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_BAD_PATH', 400, "Expecting 'path=value' in query");
    if (!requested.startsWith('/'))
      throw new FilesError(
        'ERR_CLUSTER_LOCAL_FILES_BAD_PATH',
        400,
        `path ${JSON.stringify(requested)} must be absolute (a sandbox path from /files/debug)`,
      );
    if (/[\x00-\x1f\x7f]/.test(requested)) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_BAD_PATH', 400, 'path has a NUL or control character');
    const segments = requested.split('/');
    if (segments.includes('..'))
      throw new FilesError(
        'ERR_CLUSTER_LOCAL_FILES_OUTSIDE',
        403,
        `path ${JSON.stringify(requested)} has a '..' segment: only files inside a sandbox are served`,
      );
    const virtual = posix.normalize(requested).replace(/\/+$/, '') || '/';
    const attached = this.attached();
    let base: { virtual: string; real: string } | null = null;
    for (const [v, real] of attached) {
      if ((virtual === v || virtual.startsWith(`${v}/`)) && (!base || v.length > base.virtual.length)) base = { virtual: v, real };
    }
    if (!base) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_NOT_FOUND', 404, `${virtual} is not in a sandbox this agent serves (see /files/debug)`);
    const root = await realpath(base.real).catch(() => null);
    if (!root) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_NOT_FOUND', 404, `the sandbox of ${base.virtual} is gone`);
    const candidate = root + virtual.slice(base.virtual.length);
    const target = await realpath(candidate).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (target === null) {
      // A dangling symlink that points out is still a symlink out: say so rather than "not found".
      const link = await lstat(candidate).catch(() => null);
      if (link?.isSymbolicLink())
        throw new FilesError(
          'ERR_CLUSTER_LOCAL_FILES_OUTSIDE',
          403,
          `${virtual} is a symlink that does not lead to a file inside the sandbox`,
        );
      throw new FilesError('ERR_CLUSTER_LOCAL_FILES_NOT_FOUND', 404, `${virtual}: no such file or directory`);
    }
    if (target !== root && !target.startsWith(root + sep))
      throw new FilesError('ERR_CLUSTER_LOCAL_FILES_OUTSIDE', 403, `${virtual} leads outside the sandbox (a symlink out): refused`);
    return target;
  }

  /** `/files/browse`: the entries of a directory, each `path` the requested path joined with its name. */
  async browse(requested: string): Promise<FileInfo[]> {
    const real = await this.resolve(requested);
    const entries = await readdir(real).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTDIR') throw new FilesError('ERR_CLUSTER_LOCAL_FILES_KIND', 400, `${requested} is a file, not a directory`);
      throw error;
    });
    const virtual = posix.normalize(requested).replace(/\/+$/, '');
    const infos = await Promise.all(entries.sort().map(async (name) => {
      const info = await lstat(join(real, name)).catch(() => null);
      return info ? await fileInfo(`${virtual}/${name}`, info) : null;
    }));
    return infos.filter((i): i is FileInfo => i !== null);
  }

  /**
   * `/files/read`: `offset` -1 (or absent) answers the size only; `length` -1 (or absent) reads to
   * the end. At most MAX_READ_BYTES come back, cut at a UTF-8 character boundary so that the data
   * is whole characters and `offset + bytes(data)` is where the next read starts.
   */
  async read(requested: string, offsetText: string | null, lengthText: string | null): Promise<{ data: string; offset: number }> {
    const offset = integer(offsetText, 'offset');
    const length = integer(lengthText, 'length');
    if (offset < -1) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_BAD_RANGE', 400, `Negative offset provided: ${offset}`);
    if (length < -1) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_BAD_RANGE', 400, `Negative length provided: ${length}`);
    if (offset === -1) return { data: '', offset: (await this.readBytes(requested, 0, 0, 0)).size };
    const { bytes } = await this.readBytes(requested, offset, length === -1 ? MAX_READ_BYTES : length, MAX_READ_BYTES);
    return { data: bytes.subarray(0, wholeCharacters(bytes)).toString('utf8'), offset };
  }

  /** Up to `min(length, max)` bytes from `offset` (none past the end), with the file's size. */
  async readBytes(requested: string, offset: number, length: number, max: number): Promise<{ size: number; bytes: Buffer }> {
    const real = await this.resolve(requested);
    const handle = await open(real, 'r');
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new FilesError('ERR_CLUSTER_LOCAL_FILES_KIND', 400, `Cannot read a directory: ${requested}`);
      const wanted = Math.max(0, Math.min(max, length, info.size - offset));
      if (wanted === 0) return { size: info.size, bytes: Buffer.alloc(0) };
      const buffer = Buffer.alloc(wanted);
      const { bytesRead } = await handle.read(buffer, 0, wanted, offset);
      return { size: info.size, bytes: buffer.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  }

  /** `/files/download`: the checked real path of a regular file, and its size. */
  async download(requested: string): Promise<{ real: string; size: number }> {
    const real = await this.resolve(requested);
    const info = await stat(real);
    if (!info.isFile())
      throw new FilesError(
        'ERR_CLUSTER_LOCAL_FILES_KIND',
        400,
        `${requested} is a directory: download its files one by one (/files/browse lists them)`,
      );
    return { real, size: info.size };
  }
}

async function fileInfo(path: string, info: Stats): Promise<FileInfo> {
  return {
    path,
    modeBits: info.mode,
    nlink: info.nlink,
    size: info.size,
    mtime: Math.floor(info.mtimeMs / 1000),
    mode: fileModeString(info.mode),
    uid: await userName(info.uid),
    gid: await groupName(info.gid),
  };
}

function integer(text: string | null, name: string): number {
  if (text === null || text === '') return -1;
  if (!/^-?\d+$/.test(text))
    throw new FilesError('ERR_CLUSTER_LOCAL_FILES_BAD_RANGE', 400, `Failed to parse ${name}: ${JSON.stringify(text)} is not an integer`);
  return Number(text);
}

/** How many leading bytes of `bytes` end on a UTF-8 character boundary (a split character is left for the next read). */
export function wholeCharacters(bytes: Buffer): number {
  const end = bytes.length;
  // Walk back over at most three continuation bytes to the lead byte of the last character.
  for (let back = 1; back <= Math.min(4, end); back++) {
    const byte = bytes[end - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? end - back : end;
  }
  return end;
}
