// vitest globalSetup: the run's temp files go to a directory of its own (TMPDIR, inherited by the test
// workers and every process they start), and the run fails when a test leaves anything there. Each
// test removes what it creates; this names the ones that do not, instead of letting /tmp fill up.
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-test-run-'));
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
