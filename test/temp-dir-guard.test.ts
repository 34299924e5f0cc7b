// Where the run's temp dir goes (test/support/temp-dir-guard.ts): the user's TMPDIR, else /dev/shm only
// when it is a roomy tmpfs that allows running files, else the system's temp dir; and which directories of
// earlier runs a run removes: those of runs that ended without their teardown.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeEndedRuns, runTempParent } from './support/temp-dir-guard.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-temp-parent-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mountLine = (options: string) => `30 25 0:27 / /dev/shm ${options} - tmpfs tmpfs rw,size=24683772k`;

describe('the run temp dir parent', () => {
  it('TMPDIR set by the user: the system temp dir (which is TMPDIR), whatever /dev/shm is', async () => {
    expect(await runTempParent({ TMPDIR: '/somewhere' })).toBe(tmpdir());
  });

  it.each([
    { name: 'a path that does not exist', shm: '/nonexistent/shm' },
    { name: 'a filesystem that is not tmpfs (procfs)', shm: '/proc' },
  ])('/dev/shm is $name: the system temp dir', async ({ shm }) => {
    expect(await runTempParent({}, shm)).toBe(tmpdir());
  });

  describe('/dev/shm a tmpfs with room', async () => {
    const fs = await statfs('/dev/shm').catch(() => null);
    const usable = fs !== null && fs.type === 0x01021994 && fs.bavail * fs.bsize >= 1024 ** 3;
    const cases = [
      { name: 'mounted rw', mountinfo: `${mountLine('rw,relatime')}\n`, want: '/dev/shm' },
      { name: 'mounted noexec (Docker\'s default)', mountinfo: `${mountLine('rw,nosuid,nodev,noexec,relatime')}\n`, want: 'tmpdir' },
      { name: 'mounted read-only', mountinfo: `${mountLine('ro,relatime')}\n`, want: 'tmpdir' },
      { name: 'mounted twice, the later noexec', mountinfo: `${mountLine('rw')}\n${mountLine('rw,noexec')}\n`, want: 'tmpdir' },
      { name: 'not in mountinfo (its options unknown)', mountinfo: '25 24 0:23 / /tmp rw - tmpfs tmpfs rw\n', want: 'tmpdir' },
    ];
    it.skipIf(!usable).each(cases)('$name (skipped where /dev/shm is no tmpfs with 1 GiB free)', async ({ name, mountinfo, want }) => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.mountinfo`);
      await writeFile(file, mountinfo);
      expect(await runTempParent({}, '/dev/shm', file)).toBe(want === 'tmpdir' ? tmpdir() : want);
    });
  });
});

describe('the directories of earlier runs', () => {
  // A PID that no process has: that of a process that has exited (the kernel hands PIDs out in turn).
  const ended = spawnSync('true').pid;
  const uid = process.getuid!();
  it.each([
    { name: 'a run that ended: removed', entry: `gatehouse-test-run-${ended}-AbC123`, kind: 'dir', uid, removed: true },
    { name: 'a run still running (this process): kept', entry: `gatehouse-test-run-${process.pid}-AbC123`, kind: 'dir', uid, removed: false },
    { name: 'an ended run of another user: kept', entry: `gatehouse-test-run-${ended}-AbC123`, kind: 'dir', uid: uid + 1, removed: false },
    { name: 'a file of a run\'s name: kept', entry: `gatehouse-test-run-${ended}-AbC123`, kind: 'file', uid, removed: false },
    { name: 'a name without a PID (made before runs named theirs): kept', entry: 'gatehouse-test-run-AbC123', kind: 'dir', uid, removed: false },
    { name: 'another program\'s directory: kept', entry: `other-${ended}-AbC123`, kind: 'dir', uid, removed: false },
  ])('$name', async ({ entry, kind, uid: owner, removed }) => {
    const parent = await mkdtemp(join(dir, 'parent-'));
    if (kind === 'dir') await mkdir(join(parent, entry, 'inside'), { recursive: true });
    else await writeFile(join(parent, entry), '');
    expect(await removeEndedRuns(parent, owner)).toEqual(removed ? [entry] : []);
    expect(await readdir(parent)).toEqual(removed ? [] : [entry]);
  });
});
