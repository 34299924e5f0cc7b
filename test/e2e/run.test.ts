// `gatehouse run` end to end: the real binary, a real state file, real `dig`.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { until } from '../support/until.js';
import { HARBOR, fixtureJson } from '../support/fixtures.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';

const fixtureState = () => fixtureJson(HARBOR);

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
    {
      name: 'task A falls back to agent IPs (no netinfo)',
      query: ['fish-market.marathon.mesos', 'A'],
      status: 'NOERROR',
      answers: ['198.51.100.21', '198.51.100.22'],
    },
    {
      name: 'task on the agent name',
      query: ['fish-market.marathon.slave.mesos', 'A'],
      status: 'NOERROR',
      answers: ['198.51.100.21', '198.51.100.22'],
    },
    { name: 'mesos label IP source', query: ['tugboat.marathon.mesos', 'A'], status: 'NOERROR', answers: ['10.20.0.3'] },
    { name: 'leader', query: ['leader.mesos', 'A'], status: 'NOERROR', answers: ['192.0.2.5'] },
    { name: 'IPv6 task', query: ['collector.metrics-v6.mesos', 'AAAA'], status: 'NOERROR', answers: ['fd02:a::3:9000:4'] },
    { name: 'killed task is absent', query: ['ferry.marathon.mesos', 'A'], status: 'NXDOMAIN', answers: [] },
    { name: 'NODATA for an existing name', query: ['lighthouse.marathon.mesos', 'AAAA'], status: 'NOERROR', answers: [] },
    {
      name: 'SRV of DiscoveryInfo ports',
      query: ['_fish-market._tcp.marathon.mesos', 'SRV'],
      status: 'NOERROR',
      answers: [
        '0 1 8443 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8443 fish-market-3jafx-s12.marathon.mesos.',
        '0 1 8080 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8080 fish-market-3jafx-s12.marathon.mesos.',
      ],
    },
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
    expect(await response.json()).toEqual([{ host: 'leader.mesos.', ip: '192.0.2.5' }]);
  });

  it('follows a change of the state file within a second or two', async () => {
    const state = await fixtureState();
    const frameworks = state['frameworks'] as { name: string; tasks: { name: string; state: string }[] }[];
    const marathon = frameworks.find((f) => f.name === 'marathon')!;
    for (const task of marathon.tasks) if (task.name === 'lighthouse') task.state = 'TASK_KILLED';
    // Replace atomically, as editors and config management do.
    await writeFile(`${statePath}.tmp`, JSON.stringify(state));
    await rename(`${statePath}.tmp`, statePath);
    const result = await until(() => dig(port, 'lighthouse.marathon.mesos', 'A'), (r) => r.status === 'NXDOMAIN');
    expect(result.status).toBe('NXDOMAIN');
  });

  it('keeps the last good records when the state file turns to garbage', async () => {
    await writeFile(statePath, '{"frameworks": [ this is not json');
    await gatehouse.waitForLog((l) => l.level >= 40 && JSON.stringify(l).includes(statePath));
    const result = await dig(port, 'tugboat.marathon.mesos', 'A');
    expect(result.answer.map((r) => r.data)).toEqual(['10.20.0.3']);
  });
});
