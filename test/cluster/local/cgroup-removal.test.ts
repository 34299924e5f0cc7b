// Removing a task's group once its killed processes have left it: rmdir fails while the group holds
// anything, so removal retries for a while. A plain directory stands in for the group here (rmdir
// fails on it alike while it holds a file).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeWhenEmpty } from '../../../cluster/local/agent/cgroups.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cgroup-removal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('removeWhenEmpty', () => {
  it('waits for a group whose processes take a second to leave (a loaded machine), then removes it', async () => {
    const group = join(dir, 'slow');
    await mkdir(group);
    await writeFile(join(group, 'still-here'), '');
    setTimeout(() => void rm(join(group, 'still-here')), 1000);
    expect(await removeWhenEmpty(group)).toBe(true);
    await expect(rm(group)).rejects.toThrow(/ENOENT/);
  });

  it('a group already gone counts as removed', async () => {
    expect(await removeWhenEmpty(join(dir, 'never-made'))).toBe(true);
  });
});
