// vitest globalSetup: the run's temp files go to a directory of its own (TMPDIR, inherited by the test
// workers and every process they start), and the run fails when a test leaves anything there. Each
// test removes what it creates; this names the ones that do not, instead of letting /tmp fill up.
import { chmod, mkdtemp, readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHM = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;
// A run's files at their peak take well under 100 MB; a small /dev/shm (Docker's default is 64 MB) is left alone.
const SHM_MIN_FREE = 1024 ** 3;

/**
 * Where the run's directory goes: the TMPDIR the user set, else /dev/shm when it is a tmpfs with room
 * that allows executing files (tests write scripts and run them), else the system's temp dir. The tests
 * create and remove tens of thousands of files; on ext4 each new inode costs a search of the inode
 * bitmaps past the recently deleted ones, and a tmpfs has none of that: 2.3 CPU-s less of ~110 in two
 * runs side by side on the 2-core machine (TESTING.md "How long it takes").
 */
export async function runTempParent(env: NodeJS.ProcessEnv = process.env, shm = SHM, mountinfo = '/proc/self/mountinfo'): Promise<string> {
  if (env['TMPDIR']) return tmpdir();
  const fs = await statfs(shm).catch(() => null);
  if (!fs || fs.type !== TMPFS_MAGIC || fs.bavail * fs.bsize < SHM_MIN_FREE) return tmpdir();
  const mounts = await readFile(mountinfo, 'utf8').catch(() => '');
  // The last mount of that path is the one in effect; its options are the sixth field (proc(5)).
  const options = mounts.split('\n').map((line) => line.split(' ')).filter((fields) => fields[4] === shm).at(-1)?.[5]?.split(',') ?? ['noexec'];
  return options.includes('noexec') || options.includes('ro') ? tmpdir() : shm;
}

const RUN_DIR = /^gatehouse-test-run-(\d+)-/;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has that PID now.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the run directories in `parent` that are this user's and whose run has ended: an interrupted
 * run (Ctrl-C, a CI job's timeout) ends without vitest's teardown, so its directory stays. A directory
 * names the PID of the vitest that made it; one whose PID runs (that run, or a process that took its
 * PID since) is left for a later run. Returns the names removed.
 */
export async function removeEndedRuns(parent: string, uid = process.getuid?.() ?? -1): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [])) {
    const pid = Number(RUN_DIR.exec(name)?.[1] ?? 0);
    if (!pid || running(pid)) continue;
    const info = await stat(join(parent, name)).catch(() => null);
    if (!info?.isDirectory() || info.uid !== uid) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export default async function setup(): Promise<() => Promise<void>> {
  const parent = await runTempParent();
  for (const name of await removeEndedRuns(parent)) console.log(`removed ${join(parent, name)}, left by a run that was interrupted`);
  const root = await mkdtemp(join(parent, `gatehouse-test-run-${process.pid}-`));
  // As /tmp itself: tests that run Gatehouse as an unprivileged user must reach their dirs inside it.
  await chmod(root, 0o1777);
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = root;
  return async () => {
    // Node 22+ keeps its module compile cache in TMPDIR by itself: not a test's leftover.
    const left = (await readdir(root)).filter((name) => name !== 'node-compile-cache');
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    await rm(root, { recursive: true, force: true });
    if (left.length === 0) return;
    // vitest reports a teardown error but still exits 0: set the exit code ourselves.
    process.exitCode = 1;
    throw new Error(`tests left ${left.length} temp entries behind (each test removes what it creates): ${left.sort().join(', ')}`);
  };
}
