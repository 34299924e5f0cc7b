// The process's log lines on a stdout nobody reads (a full pipe): a line waits a moment, then the
// logger stops waiting, keeps what it could not write (up to a bound, past which lines are dropped and
// counted) and writes it in order once the pipe takes lines again. Before, a line on a full pipe was
// retried for ever: the process froze, and a SIGTERM never ended it.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, droppedLogLines } from '../../cli/logger.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A FIFO (64 KiB) with a non-blocking writer, as a Node process's stdout pipe is, and a reader that reads only when asked. */
async function stalledPipe(): Promise<{ fd: number; drain: () => string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-logger-fifo-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  cleanups.push(async () => {
    closeSync(fd);
    closeSync(reader);
    await rm(dir, { recursive: true, force: true });
  });
  const drain = (): string => {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let n = 0;
      try {
        n = readSync(reader, buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw error;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  };
  return { fd, drain };
}

const numbers = (text: string): number[] =>
  text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { n: number }).n);

describe('log lines on a stdout nobody reads', () => {
  it.each([
    { name: '300 lines of 1 KB (about 5 pipes full): none lost, written in order once the pipe is read', lines: 300, dropped: false },
    { name: '1,500 lines of 1 KB (past the 1 MiB kept): the newest are dropped and counted, the rest written in order', lines: 1500, dropped: true },
  ])('$name', async ({ lines, dropped }) => {
    const { fd, drain } = await stalledPipe();
    const logger = createLogger({ level: 'info', pretty: false, fd });
    const droppedBefore = droppedLogLines();
    const pad = 'x'.repeat(1000);
    // Each call returns: the first line on the full pipe waits about a second, the next ones not at all.
    for (let n = 0; n < lines; n++) logger.info({ n, pad }, 'line');
    const dropCount = droppedLogLines() - droppedBefore;
    let text = drain();
    // The pipe reads again: the next line writes what was kept first (the pipe is drained as it fills).
    logger.info({ n: lines, pad }, 'line');
    for (let more = drain(); more !== ''; more = drain()) {
      text += more;
      logger.flush();
    }
    const seen = numbers(text);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(lines);
    if (dropped) expect(dropCount).toBeGreaterThan(0);
    else expect(dropCount).toBe(0);
    expect(seen.length + dropCount).toBe(lines + 1);
  }, 20_000);
});
