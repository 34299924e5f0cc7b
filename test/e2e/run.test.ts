// `gatehouse run` end to end: the real binary, a real state file, real `dig`.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { until } from '../support/until.js';
import { fixtureJson } from '../support/fixtures.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';

const fixtureState = () => fixtureJson('mesos-dns/fake-state.json');

describe('gatehouse run (file source, real binary, dig)', () => {
  let dir: string;
  let statePath: string;
  let gatehouse: GatehouseProcess;
  let port: number;
  let httpPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-run-'));
    statePath = join(dir, 'state.json');
    await writeFile(statePath, JSON.stringify(await fixtureState()));
    const configPath = join(dir, 'gatehouse.yaml');
    await writeFile(
      configPath,
      [
        'cluster:',
        '  source: file',
        `  file: { path: ${JSON.stringify(statePath)} }`,
        'dns:',
        '  listen: 127.0.0.1:0',
        '  http: 127.0.0.1:0',
        'gateway: { enabled: false }',
        'authn: { enabled: false }',
      ].join('\n'),
    );
    gatehouse = startGatehouseProcess(['run', '--config', configPath]);
    const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running');
    port = (running['dns'] as { udpPort: number }).udpPort;
    httpPort = running['dnsHttpPort'] as number;
    await gatehouse.waitForLog((l) => l.msg === 'DNS records rebuilt');
  });

  afterAll(async () => {
    expect(await gatehouse?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  const cases: { name: string; query: [string, string]; status: string; answers: string[] }[] = [
    { name: 'task A falls back to agent IPs (no netinfo)', query: ['liquor-store.marathon.mesos', 'A'], status: 'NOERROR', answers: ['1.2.3.11', '1.2.3.12'] },
    { name: 'task on the agent name', query: ['liquor-store.marathon.slave.mesos', 'A'], status: 'NOERROR', answers: ['1.2.3.11', '1.2.3.12'] },
    { name: 'mesos label IP source', query: ['nginx.marathon.mesos', 'A'], status: 'NOERROR', answers: ['10.3.0.3'] },
    { name: 'leader', query: ['leader.mesos', 'A'], status: 'NOERROR', answers: ['1.2.3.4'] },
    { name: 'IPv6 task', query: ['toy-store.ipv6-framework.mesos', 'AAAA'], status: 'NOERROR', answers: ['fd01:b::1:8000:2'] },
    { name: 'killed task is absent', query: ['poseidon.marathon.mesos', 'A'], status: 'NXDOMAIN', answers: [] },
    { name: 'NODATA for an existing name', query: ['chronos.marathon.mesos', 'AAAA'], status: 'NOERROR', answers: [] },
    { name: 'SRV of DiscoveryInfo ports', query: ['_liquor-store._tcp.marathon.mesos', 'SRV'], status: 'NOERROR', answers: ['0 1 443 liquor-store-4dfjd-0.marathon.mesos.', '0 1 443 liquor-store-zasmd-1.marathon.mesos.', '0 1 80 liquor-store-4dfjd-0.marathon.mesos.', '0 1 80 liquor-store-zasmd-1.marathon.mesos.'] },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const result = await dig(port, c.query[0], c.query[1]);
      expect(result.status).toBe(c.status);
      expect(result.flags).toContain('aa');
      expect(result.answer.map((r) => r.data).sort()).toEqual([...c.answers].sort());
    });
  }

  it('serves the Mesos-DNS HTTP API', async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/v1/hosts/leader.mesos`);
    expect(await response.json()).toEqual([{ host: 'leader.mesos.', ip: '1.2.3.4' }]);
  });

  it('follows a change of the state file within a second or two', async () => {
    const state = await fixtureState();
    const frameworks = state['frameworks'] as { name: string; tasks: { name: string; state: string }[] }[];
    const marathon = frameworks.find((f) => f.name === 'marathon')!;
    for (const task of marathon.tasks) if (task.name === 'chronos') task.state = 'TASK_KILLED';
    // Replace atomically, as editors and config management do.
    await writeFile(`${statePath}.tmp`, JSON.stringify(state));
    await rename(`${statePath}.tmp`, statePath);
    const result = await until(() => dig(port, 'chronos.marathon.mesos', 'A'), (r) => r.status === 'NXDOMAIN');
    expect(result.status).toBe('NXDOMAIN');
  });

  it('keeps the last good records when the state file turns to garbage', async () => {
    await writeFile(statePath, '{"frameworks": [ this is not json');
    await gatehouse.waitForLog((l) => l.level >= 40 && JSON.stringify(l).includes(statePath));
    const result = await dig(port, 'nginx.marathon.mesos', 'A');
    expect(result.answer.map((r) => r.data)).toEqual(['10.3.0.3']);
  });
});
