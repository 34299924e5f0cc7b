// Lifecycle: parts stop in reverse order, every step runs even when one fails, failures are logged
// (with the step's name) and returned, and each step runs once however often stop() is called.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { Lifecycle } from '../../core/index.js';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

type Step = 'ok' | 'throws' | 'rejects';

describe('a failing stop step does not skip the others', () => {
  const cases: { name: string; steps: Step[]; failed: string[] }[] = [
    { name: 'all succeed', steps: ['ok', 'ok', 'ok'], failed: [] },
    { name: 'the first stopped throws', steps: ['ok', 'ok', 'throws'], failed: ['step2'] },
    { name: 'a middle one rejects', steps: ['ok', 'rejects', 'ok'], failed: ['step1'] },
    { name: 'every one fails', steps: ['throws', 'rejects', 'throws'], failed: ['step2', 'step1', 'step0'] },
  ];
  test.each(cases)('$name', async ({ steps, failed }) => {
    const { logger, lines } = recordingLogger();
    const lifecycle = new Lifecycle(logger);
    const stopped: string[] = [];
    steps.forEach((kind, i) => {
      const name = `step${i}`;
      lifecycle.onStop(name, async () => {
        stopped.push(name);
        if (kind === 'throws') throw new Error(`${name} cannot close`);
        if (kind === 'rejects') await Promise.reject(new Error(`${name} cannot close`));
      });
    });
    const failures = await lifecycle.stop();
    expect(stopped).toEqual(['step2', 'step1', 'step0']);
    expect(failures.map((f) => f.step)).toEqual(failed);
    expect(failures.map((f) => (f.error as Error).message)).toEqual(failed.map((name) => `${name} cannot close`));
    await new Promise((resolve) => setImmediate(resolve));
    const logged = lines.map((line) => [line['step'], line['msg'], (line['err'] as { message: string }).message]);
    expect(logged).toEqual(failed.map((name) => [name, 'error while shutting down', `${name} cannot close`]));
  });
});

test('each step runs once: a second stop() during a stop shares the remaining steps, a later one has none', async () => {
  const lifecycle = new Lifecycle(recordingLogger().logger);
  const stopped: string[] = [];
  let release!: () => void;
  lifecycle.onStop('first', () => stopped.push('first'));
  lifecycle.onStop('slow', () => new Promise<void>((resolve) => (release = () => { stopped.push('slow'); resolve(); })));
  const one = lifecycle.stop();
  const two = lifecycle.stop();
  await two;
  release();
  await one;
  await lifecycle.stop();
  expect(stopped).toEqual(['first', 'slow']);
});

test('a step registered while stopping is stopped too', async () => {
  const lifecycle = new Lifecycle(recordingLogger().logger);
  const stopped: string[] = [];
  lifecycle.onStop('starts late', () => {
    stopped.push('starts late');
    lifecycle.onStop('late part', () => stopped.push('late part'));
  });
  await lifecycle.stop();
  expect(stopped).toEqual(['starts late', 'late part']);
});
