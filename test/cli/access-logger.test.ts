// Access lines share stdout with the main logger's synchronous lines and with the other gateway
// workers' access lines. On a slow pipe a write larger than PIPE_BUF is taken in pieces, and another
// writer's line lands between them: a broken JSON line for whoever reads the log. Here a real FIFO,
// read slowly by another process, takes two access loggers (two workers) and a synchronous main
// logger at once, and every line must come out whole.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination, pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ATOMIC_WRITE_BYTES, TurnBatch, createAccessLogger } from '../../cli/access-logger.js';
import type { AccessLogEntry } from '../../gateway/index.js';
import { until } from '../support/until.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function entry(path: string): AccessLogEntry {
  return { requestId: 'r', method: 'GET', target: path, route: 'app', status: 200, bytes: 2, seconds: 0.001, uid: 'alice' };
}

/** A FIFO whose reader (perl) takes 4 KiB per millisecond: slower than the writers, so the pipe stays full. */
async function slowFifo(): Promise<{ fd: number; output: () => string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-access-fifo-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  // Held open so that the writer's open does not wait for the reader; it reads nothing itself.
  const holdOpen = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(path, constants.O_WRONLY);
  const reader = spawn('perl', ['-e', 'open F, "<", $ARGV[0] or die; binmode STDOUT; $| = 1; '
    + 'while (sysread(F, $b, 4096)) { print $b; select(undef, undef, undef, 0.001) }', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise((resolve) => reader.once('exit', resolve));
  return {
    fd,
    output: () => Buffer.concat(chunks).toString('utf8'),
    close: async () => {
      closeSync(fd);
      closeSync(holdOpen);
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('access log on a shared, slow stdout', () => {
  it('two workers\' access lines and the main logger\'s lines, 90 KB a turn into a 64 KiB pipe: every line arrives whole', async () => {
    const fifo = await slowFifo();
    cleanups.push(fifo.close);
    const main = pino({ base: { name: 'gatehouse' } }, destination({ dest: fifo.fd, sync: true }));
    const config = { enabled: true, sample: 1, bufferBytes: 64 * 1024 * 1024 };
    const workers = [1, 2].map((worker) =>
      createAccessLogger(config, { main, pretty: false, registry: new Registry(), bindings: { worker }, fd: fifo.fd }));
    const pad = 'x'.repeat(1500);
    const turns = 8;
    const linesPerTurn = 30;
    for (let turn = 0; turn < turns; turn++) {
      for (const [w, worker] of workers.entries()) {
        for (let i = 0; i < linesPerTurn; i++) worker.write?.(entry(`/app/${turn}/${w}/${i}?pad=${pad}`));
      }
      // The turn's lines go to their asynchronous writes; the main logger's line comes while they wait.
      await new Promise((resolve) => setImmediate(resolve));
      main.info({ turn }, 'between turns');
    }
    const expected = turns * (workers.length * linesPerTurn + 1);
    const lines = await until(async () => fifo.output().split('\n').filter(Boolean), (l) => l.length >= expected, 15_000);
    const broken = lines.filter((line) => { try { JSON.parse(line); return false; } catch { return true; } });
    expect(broken.map((line) => `${line.slice(0, 80)}…${line.slice(-80)}`)).toEqual([]);
    const parsed = lines.map((line) => JSON.parse(line) as { msg: string; path?: string });
    expect(parsed.filter((l) => l.msg === 'request')).toHaveLength(turns * workers.length * linesPerTurn);
    expect(parsed.filter((l) => l.msg === 'between turns')).toHaveLength(turns);
  }, 30_000);
});

describe('TurnBatch', () => {
  const line = (n: number, bytes: number): string => `${String(n).padStart(4, '0')}${'y'.repeat(bytes - 5)}\n`;
  it.each([
    { name: 'short lines: pieces of whole lines, none over PIPE_BUF', sizes: Array.from({ length: 100 }, () => 300) },
    { name: 'a line longer than PIPE_BUF goes alone', sizes: [300, 9000, 300, 300] },
    { name: 'multi-byte characters are counted in bytes', sizes: Array.from({ length: 40 }, () => 200), multiByte: true },
  ])('$name', ({ sizes, multiByte }) => {
    const writes: string[] = [];
    const batch = new TurnBatch({ write: (data) => (writes.push(data), true) });
    const lines = sizes.map((size, n) => (multiByte ? line(n, size).replace(/y/g, 'é') : line(n, size)));
    for (const l of lines) batch.write(l);
    batch.flush();
    expect(writes.join('')).toBe(lines.join(''));
    for (const data of writes) {
      expect(data.endsWith('\n')).toBe(true);
      const count = data.split('\n').length - 1;
      if (count > 1) expect(Buffer.byteLength(data)).toBeLessThanOrEqual(ATOMIC_WRITE_BYTES);
    }
    expect(writes.length).toBeGreaterThan(1);
  });
});

describe('access log on a stdout whose reader has gone', () => {
  it('the write that fails counts one, every later line counts as dropped, and the flush at stop returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-access-gone-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'stdout');
    execFileSync('mkfifo', [path]);
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    // Left open: the logger's destination may still try its failed batch on it, and a closed number is
    // soon another file's or socket's (the logger never closes a descriptor it was given).
    const fd = openSync(path, constants.O_WRONLY);
    const registry = new Registry();
    const main = pino({ base: { name: 'gatehouse' } }, { write: () => undefined });
    const logger = createAccessLogger({ enabled: true, sample: 1, bufferBytes: 1024 * 1024 }, { main, pretty: false, registry, fd });
    const dropped = async () => Number(/^gatehouse_gateway_access_log_dropped_total (\d+)$/m.exec(await registry.metrics())?.[1]);
    closeSync(reader);
    // Held in the buffer until the periodic flush (250 ms), whose write fails with EPIPE.
    logger.write?.(entry('/app/before'));
    expect(await until(dropped, (n) => n === 1, 5000)).toBe(1);
    for (const path of ['/app/after/1', '/app/after/2', '/app/after/3']) logger.write?.(entry(path));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await dropped()).toBe(4);
    // Returns at once: nothing is written once stdout is gone.
    logger.flush();
  });
});
