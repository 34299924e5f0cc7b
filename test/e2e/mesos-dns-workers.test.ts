// `gatehouse mesos-dns -workers N`: the drop-in answers from N worker processes, each serving the
// records of the masters' state; a bad -workers value is a usage error naming the flag.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DnsWorkersStatus } from '../../cli/dns-workers.js';
import { dig } from '../support/dig.js';
import { startFakeMaster, type FakeMaster } from '../support/fake-master.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { masterState } from '../support/master-state.js';
import { until } from '../support/until.js';

const AGENT = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f-S3';
let dir: string;
let master: FakeMaster;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let httpPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mesos-dns-workers-'));
  master = await startFakeMaster();
  master.body = JSON.stringify(
    masterState({
      // The master we run is the leader (the source follows the leader it names).
      leader: `master@127.0.0.1:${master.port}`,
      agents: [{ id: AGENT, host: '10.8.0.3', hostname: 'agent-3.test' }],
      frameworks: [
        {
          id: 'fw-1',
          name: 'marathon',
          pid: 'scheduler@127.0.0.1:8080',
          tasks: [{ id: 'otter.4f2a-11ee', name: 'otter', agent: AGENT, ports: '[31500-31500]', statuses: [{ timestamp: 1_700_000_000 }] }],
        },
      ],
    }),
  );
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      masters: [`127.0.0.1:${master.port}`],
      refreshSeconds: 60,
      domain: 'mesos',
      port: 0,
      listener: '127.0.0.1',
      httpport: 0,
      externalon: false,
    }),
  );
  gatehouse = startGatehouseProcess(['mesos-dns', '-config', config, '-workers', '2']);
  const serving = await gatehouse.waitForLog((l) => l.msg === 'mesos-dns is serving', 30_000);
  dnsPort = (serving['dns'] as { udpPort: number }).udpPort;
  httpPort = serving['httpPort'] as number;
}, 40_000);

afterAll(async () => {
  await gatehouse?.stop();
  await master?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('-workers 2: two workers serve the masters\' records', async () => {
  const status = await until(
    async () => (await (await fetch(`http://127.0.0.1:${httpPort}/v1/workers`)).json()) as DnsWorkersStatus,
    (s) => s.converged && s.workers.length === 2 && s.published['mesos'] !== undefined,
    15_000,
  );
  expect(new Set(status.workers.map((w) => w.pid)).size).toBe(2);
  for (const w of status.workers) expect(w.zones['mesos']).toEqual(status.published['mesos']);
  expect((await dig(dnsPort, 'otter.marathon.mesos', 'A')).answer.map((r) => r.data)).toEqual(['10.8.0.3']);
  expect((await dig(dnsPort, 'otter.marathon.mesos', 'A', ['+tcp'])).answer.map((r) => r.data)).toEqual(['10.8.0.3']);
});

it.each([
  ['zero', '0'],
  ['not a number', 'many'],
])('-workers %s is a usage error naming the flag', async (_name, value) => {
  const bad = startGatehouseProcess(['mesos-dns', '-config', join(dir, 'config.json'), '-workers', value]);
  expect(await new Promise((resolve) => bad.child.once('exit', resolve))).toBe(1);
  expect(bad.stderr()).toContain(`-workers must be auto or a whole number 1..256 (got "${value}")`);
});
