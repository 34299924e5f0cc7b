// A snapshot bigger than one IPC part (1 Mi characters of its wire form) crosses to the gateway
// workers in parts (cli/gateway-workers.ts): the real binary with two workers and a 3,000-task state
// of ~3 MB; every worker must report the primary's snapshot generation, which it reads from the
// joined wire form (a part lost or out of order would not parse), at start and after a change.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { masterState, type TaskSpec } from '../support/master-state.js';
import { writeNoUsers, writeSigningKey } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';

const AGENT = '3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d-S4';

function bigState(tasks: number, note: string): string {
  const specs: TaskSpec[] = Array.from({ length: tasks }, (_, i) => ({
    id: `svc${i % 300}.${i.toString(16).padStart(8, '0')}-5c6d-11ee-8e7f-0242ac110002`,
    name: `svc${i % 300}`,
    agent: AGENT,
    labels: { note: `${note}-${i}-${'x'.repeat(800)}` },
  }));
  return JSON.stringify(
    masterState({
      leader: 'master@127.0.0.1:5050',
      agents: [{ id: AGENT, host: '10.200.0.4', hostname: 'agent-4.test' }],
      frameworks: [{ id: 'fw-parts', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks: specs }],
    }),
  );
}

interface Status {
  primary: { generations: { snapshot: number } };
  workers: { generations: { snapshot: number } | null }[];
  converged: boolean;
}

let dir: string;
let gatehouse: GatehouseProcess;
let port: number;
let token: string;
let statePath: string;

async function write(text: string): Promise<void> {
  await writeFile(`${statePath}.next`, text);
  await rename(`${statePath}.next`, statePath);
}

async function convergedPast(generation: number): Promise<Status> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/gatehouse/v1/status`, { headers: { authorization: `token=${token}` } });
    const now = (await res.json()) as Status;
    if (now.converged && now.primary.generations.snapshot > generation) return now;
    if (Date.now() > deadline) throw new Error(`workers did not converge past snapshot ${generation}: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-parts-'));
  statePath = join(dir, 'state.json');
  await write(bigState(3000, 'first'));
  await mkdir(join(dir, 'routes.d'));
  await writeSigningKey(join(dir, 'signing-key.pem'));
  await writeNoUsers(join(dir, 'users.yaml'));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(statePath)} }`,
    'dns:', '  enabled: false',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, '  workers: 2',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    'mesh: { enabled: false }',
  ].join('\n'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  port = Number((await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 45_000))['gatewayPort']);
  token = await tokenFor(config, 'operator');
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

it('every worker serves the big snapshot at start, and the next one after a change', async () => {
  const first = await convergedPast(0);
  expect(first.workers).toHaveLength(2);
  for (const w of first.workers) expect(w.generations?.snapshot).toBe(first.primary.generations.snapshot);
  await write(bigState(3000, 'second'));
  const second = await convergedPast(first.primary.generations.snapshot);
  for (const w of second.workers) expect(w.generations?.snapshot).toBe(second.primary.generations.snapshot);
  expect(gatehouse.logs.filter((l) => l.level >= 50)).toEqual([]);
}, 60_000);
