// The worker pool's stop, with real forked processes (node:cluster) running small worker scripts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../cli/worker-pool.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-worker-pool-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A worker that takes `loadMs` (synchronously, as a big bundle loads) before it listens for messages. */
async function workerScript(loadMs: number): Promise<string> {
  const file = join(dir, `worker-${loadMs}.mjs`);
  await writeFile(file, `
    const until = Date.now() + ${loadMs};
    while (Date.now() < until);
    const drain = () => process.exit(0);
    process.on('message', (m) => m && m.kind === 'drain' && drain());
    process.on('SIGTERM', drain);
    process.send({ kind: 'started' });
  `);
  return file;
}

function pool(entry: string): WorkerPool<boolean> {
  const logger = pino({ level: 'silent' });
  const workers: WorkerPool<boolean> = new WorkerPool<boolean>({
    role: 'test worker', entry, count: 1, logger, accept: 'shared',
    onMessage: (slot, message) => (message as { kind?: string }).kind === 'started' && slot.started(true),
    exitedEarly: (message) => new Error(message),
    drainMessage: { kind: 'drain' },
    // Far past the test's timeout: a close that waits for it fails the test.
    drainTimeoutMs: 60_000,
  });
  return workers;
}

describe('WorkerPool.close', () => {
  it('stops a worker that is still loading (no message listener yet) at once, not at the drain deadline', async () => {
    const workers = pool(await workerScript(1500));
    const starting = workers.start().catch((error: Error) => error);
    await expect.poll(() => workers.live().length).toBe(1);
    const [worker] = workers.live();
    await workers.close();
    expect(worker!.isDead()).toBe(true);
    expect(await starting).toBeInstanceOf(Error); // it never started
  }, 15_000);

  it('drains a started worker', async () => {
    const workers = pool(await workerScript(0));
    expect(await workers.start()).toEqual([true]);
    const [worker] = workers.live();
    await workers.close();
    expect(worker!.isDead()).toBe(true);
    expect(worker!.process.exitCode).toBe(0);
  }, 15_000);
});
