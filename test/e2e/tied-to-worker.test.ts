// A run cut short (Ctrl-C, a CI job's SIGTERM) ends vitest's workers without the tests' teardown. What a
// worker had started must end with it: the real binary, started the way the tests start it
// (test/support/tied-to-worker.ts), from a stand-in for a worker that is then SIGKILLed, as the
// hardest way a worker can end. Gatehouse gets SIGTERM and stops as it does for a user.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { descendants, isGone, type Proc } from '../support/process-tree.js';
import { tiedToWorker } from '../support/tied-to-worker.js';
import { until } from '../support/until.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-tied-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// The stand-in: starts argv[1] with argv[2] as its arguments, its output in the file argv[3], prints its PID, then waits.
const STAND_IN = `
const { spawn } = require('node:child_process');
const { openSync } = require('node:fs');
const [command, args, log] = JSON.parse(process.argv[1]);
const out = openSync(log, 'w');
const child = spawn(command, args, { stdio: ['ignore', out, out], env: { ...process.env, LOG_FORMAT: 'json' } });
console.log(child.pid);
setInterval(() => {}, 60_000);
`;

it('a Gatehouse started by a worker that is killed gets SIGTERM and stops', async () => {
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
  await mkdir(join(dir, 'routes.d'));
  await premadeAuthn(join(dir, 'signing-key.pem'), join(dir, 'users.yaml'));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns:', '  enabled: false',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, '  workers: 1',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  const log = join(dir, 'gatehouse.log');
  const worker = spawn(process.execPath, ['-e', STAND_IN, JSON.stringify([...tiedToWorker(process.execPath, [BIN, 'run', '--config', config]), log])]);
  let gatehouse: Proc | undefined;
  try {
    const pid = Number(await new Promise<string>((resolve) => createInterface({ input: worker.stdout }).once('line', resolve)));
    const lines = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; signal?: string });
    await until(lines, (seen) => seen.some((line) => line.msg === 'gatehouse is running'), 15_000);
    gatehouse = (await descendants(worker.pid!)).find((proc) => proc.pid === pid);
    expect(gatehouse?.cmdline).toBe(`${process.execPath} ${BIN} run --config ${config}`);

    worker.kill('SIGKILL');
    await until(() => isGone(gatehouse!), Boolean, 15_000);
    expect((await lines()).filter((line) => line.msg === 'stopping')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
  } finally {
    worker.kill('SIGKILL');
    if (gatehouse && !(await isGone(gatehouse))) process.kill(gatehouse.pid, 'SIGKILL');
  }
});
