// Where the run's temp dir goes (test/support/temp-dir-guard.ts): the user's TMPDIR, else /dev/shm only
// when it is a roomy tmpfs that allows running files, else the system's temp dir.
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTempParent } from './support/temp-dir-guard.js';

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
