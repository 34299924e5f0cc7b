// The one file watcher every reader of files uses: a change per save, none for files left alone,
// nothing read (it only stats), and polling that still notices when events are off.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryWatch, type DirectoryWatchOptions } from '../../core/index.js';

let dir: string;
const watches: DirectoryWatch[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-watch-'));
});
afterEach(async () => {
  for (const w of watches.splice(0)) w.close();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function watching(options: Partial<DirectoryWatchOptions> = {}): Promise<{ changes: () => number }> {
  let changes = 0;
  const watch = new DirectoryWatch({ dir, match: (n) => n.endsWith('.yaml'), onChange: () => changes++, pollMs: 20, ...options });
  watches.push(watch);
  await watch.start();
  return { changes: () => changes };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('DirectoryWatch', () => {
  for (const events of [true, false]) {
    const mode = events ? 'fs events' : 'polling only';
    it(`${mode}: files left alone are never reported, over 25 poll periods`, async () => {
      await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
      await writeFile(join(dir, 'b.yaml'), 'b: 1\n');
      const w = await watching({ events });
      await sleep(500);
      expect(w.changes()).toBe(0);
    });

    it(`${mode}: every save 100 ms apart is its own change (none merged away)`, async () => {
      await writeFile(join(dir, 'a.yaml'), 'v: 0\n');
      const w = await watching({ events });
      // What matters is that no save is merged into another: each is reported before the next. A save
      // may be reported twice (writeFile truncates, then writes: two events a busy machine can space
      // past the debounce), which costs the reader a re-read, not a lost change.
      for (let i = 1; i <= 5; i++) {
        const before = w.changes();
        // Sizes differ, so even polling with coarse mtimes sees each save.
        await writeFile(join(dir, 'a.yaml'), `v: ${'x'.repeat(i)}\n`);
        await until(() => w.changes() > before, `change ${i}`);
        await sleep(100);
      }
      expect(w.changes()).toBeGreaterThanOrEqual(5);
    });

    it(`${mode}: a save by rename (as editors do) and a removal are changes`, async () => {
      await writeFile(join(dir, 'a.yaml'), 'v: 0\n');
      const w = await watching({ events });
      await writeFile(join(dir, '.a.yaml.tmp'), 'v: 1\n');
      await rename(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
      await until(() => w.changes() === 1, 'the rename');
      await sleep(100);
      await rm(join(dir, 'a.yaml'));
      await until(() => w.changes() === 2, 'the removal');
    });

    it(`${mode}: files that do not match are ignored`, async () => {
      const w = await watching({ events });
      await writeFile(join(dir, 'notes.txt'), 'hello');
      await writeFile(join(dir, 'a.yaml.bak'), 'hello');
      await sleep(300);
      expect(w.changes()).toBe(0);
    });
  }

  it('a burst of writes within the debounce is one change', async () => {
    // A debounce long enough that ten small writes fall within it even on a loaded machine (at 50 ms,
    // a load of 15 spread them over two windows).
    const w = await watching({ debounceMs: 400, maxWaitMs: 2000, pollMs: 0 });
    for (let i = 0; i < 10; i++) await writeFile(join(dir, 'a.yaml'), `v: ${i}\n`);
    await until(() => w.changes() >= 1, 'the burst');
    await sleep(600);
    expect(w.changes()).toBe(1);
  });

  it('endless events are still reported, at the latest after maxWait', async () => {
    const w = await watching({ debounceMs: 50, maxWaitMs: 150, pollMs: 0 });
    const writer = setInterval(() => void writeFile(join(dir, 'a.yaml'), `t: ${Date.now()}\n`), 10);
    try {
      await until(() => w.changes() >= 2, 'two changes while writes never pause');
    } finally {
      clearInterval(writer);
    }
  });

  it('a directory missing at start: no error, watched once it appears (its files a change), and watched again when made anew', async () => {
    const later = join(dir, 'later');
    const errors: unknown[] = [];
    const w = await watching({ dir: later, onWatchError: (error) => errors.push(error) });
    const watch = watches[0]!;
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

  it('with the poll off, fs events alone follow a directory that was there at start', async () => {
    const w = await watching({ pollMs: 0 });
    expect(watches[0]!.watching).toBe(true);
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    await until(() => w.changes() === 1, 'the save');
  });

  it('after close nothing is reported', async () => {
    const w = await watching();
    watches[0]!.close();
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    await sleep(200);
    expect(w.changes()).toBe(0);
  });
});
