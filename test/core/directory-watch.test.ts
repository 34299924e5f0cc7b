// The one file watcher every reader of files uses: a change per save, none for files left alone,
// nothing read (it only stats), and polling that still notices when events are off.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { DirectoryWatch, type DirectoryWatchOptions } from '../../core/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Watching {
  readonly dir: string;
  readonly watch: DirectoryWatch;
  changes(): number;
}

/**
 * A watch on a directory of the case's own (`options.dir` relative to it), closed and removed when
 * the case ends: the cases mostly wait on timers and run at once, so nothing is shared between them.
 */
async function watching(ctx: TestContext, options: Partial<DirectoryWatchOptions> = {}, before?: (dir: string) => Promise<void>): Promise<Watching> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-watch-'));
  ctx.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await before?.(dir);
  let changes = 0;
  const watch = new DirectoryWatch({
    match: (n) => n.endsWith('.yaml'),
    onChange: () => changes++,
    pollMs: 20,
    ...options,
    dir: options.dir === undefined ? dir : join(dir, options.dir),
  });
  // Registered after the removal, so it runs first (clean-ups run in reverse order).
  ctx.onTestFinished(() => watch.close());
  await watch.start();
  return { dir, watch, changes: () => changes };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// Every case waits on timers (debounce, poll periods, quiet spells): they run at once.
describe.concurrent('DirectoryWatch', () => {
  for (const events of [true, false]) {
    const mode = events ? 'fs events' : 'polling only';
    it(`${mode}: files left alone are never reported, over 25 poll periods`, async (ctx) => {
      const w = await watching(ctx, { events }, async (dir) => {
        await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
        await writeFile(join(dir, 'b.yaml'), 'b: 1\n');
      });
      await sleep(500);
      expect(w.changes()).toBe(0);
    });

    it(`${mode}: every save 100 ms apart is its own change (none merged away)`, async (ctx) => {
      const w = await watching(ctx, { events }, (dir) => writeFile(join(dir, 'a.yaml'), 'v: 0\n'));
      // What matters is that no save is merged into another: each is reported before the next. A save
      // may be reported twice (writeFile truncates, then writes: two events a busy machine can space
      // past the debounce), which costs the reader a re-read, not a lost change.
      for (let i = 1; i <= 5; i++) {
        const before = w.changes();
        // Sizes differ, so even polling with coarse mtimes sees each save.
        await writeFile(join(w.dir, 'a.yaml'), `v: ${'x'.repeat(i)}\n`);
        await until(() => w.changes() > before, `change ${i}`);
        await sleep(100);
      }
      expect(w.changes()).toBeGreaterThanOrEqual(5);
    });

    it(`${mode}: a save by rename (as editors do) and a removal are changes`, async (ctx) => {
      const w = await watching(ctx, { events }, (dir) => writeFile(join(dir, 'a.yaml'), 'v: 0\n'));
      await writeFile(join(w.dir, '.a.yaml.tmp'), 'v: 1\n');
      await rename(join(w.dir, '.a.yaml.tmp'), join(w.dir, 'a.yaml'));
      await until(() => w.changes() === 1, 'the rename');
      await sleep(100);
      await rm(join(w.dir, 'a.yaml'));
      await until(() => w.changes() === 2, 'the removal');
    });

    it(`${mode}: files that do not match are ignored`, async (ctx) => {
      const w = await watching(ctx, { events });
      await writeFile(join(w.dir, 'notes.txt'), 'hello');
      await writeFile(join(w.dir, 'a.yaml.bak'), 'hello');
      await sleep(300);
      expect(w.changes()).toBe(0);
    });
  }

  it('a burst of writes within the debounce is one change', async (ctx) => {
    // A debounce long enough that ten small writes fall within it even on a loaded machine (at 50 ms,
    // a load of 15 spread them over two windows).
    const w = await watching(ctx, { debounceMs: 400, maxWaitMs: 2000, pollMs: 0 });
    for (let i = 0; i < 10; i++) await writeFile(join(w.dir, 'a.yaml'), `v: ${i}\n`);
    await until(() => w.changes() >= 1, 'the burst');
    await sleep(600);
    expect(w.changes()).toBe(1);
  });

  it('endless events are still reported, at the latest after maxWait', async (ctx) => {
    const w = await watching(ctx, { debounceMs: 50, maxWaitMs: 150, pollMs: 0 });
    const writer = setInterval(() => void writeFile(join(w.dir, 'a.yaml'), `t: ${Date.now()}\n`), 10);
    try {
      await until(() => w.changes() >= 2, 'two changes while writes never pause');
    } finally {
      clearInterval(writer);
    }
  });

  it('a directory missing at start: no error, watched once it appears (its files a change), and watched again when made anew', async (ctx) => {
    const errors: unknown[] = [];
    const w = await watching(ctx, { dir: 'later', onWatchError: (error) => errors.push(error) });
    const { watch } = w;
    const later = join(w.dir, 'later');
    expect(watch.watching).toBe(false);

    await mkdir(later);
    await until(() => watch.watching, 'fs events on the new directory');
    expect(w.changes(), 'an empty directory appearing is no change').toBe(0);
    await writeFile(join(later, 'a.yaml'), 'v: 1\n');
    await until(() => w.changes() === 1, 'the first file');

    await rm(later, { recursive: true });
    await until(() => w.changes() === 2 && !watch.watching, 'the removal, and the lost watch dropped');
    await mkdir(later);
    await until(() => watch.watching, 'fs events on the directory made anew');
    await writeFile(join(later, 'b.yaml'), 'v: 1\n');
    await until(() => w.changes() === 3, 'a file in the directory made anew');
    expect(errors).toEqual([]);
  });

  it('with the poll off, fs events alone follow a directory that was there at start', async (ctx) => {
    const w = await watching(ctx, { pollMs: 0 });
    expect(w.watch.watching).toBe(true);
    await writeFile(join(w.dir, 'a.yaml'), 'v: 1\n');
    await until(() => w.changes() === 1, 'the save');
  });

  it('after close nothing is reported', async (ctx) => {
    const w = await watching(ctx);
    w.watch.close();
    await writeFile(join(w.dir, 'a.yaml'), 'v: 1\n');
    await sleep(200);
    expect(w.changes()).toBe(0);
  });
});
