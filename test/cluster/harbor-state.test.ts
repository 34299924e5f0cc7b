// The project's hand-written master state (test/fixtures/master-state/harbor.json), task by task; health from statuses; name resolution that fails; the
// `local` source seam before the embedded cluster exists.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ClusterStore, createSource, parseMasterState, tasksOf, type Task } from '../../cluster/index.js';
import type { ClusterConfig } from '../../config/types.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';

interface Want {
  readonly name: string;
  readonly state: string;
  readonly netinfo: string[];
  readonly docker: string[];
  readonly mesos: string[];
  readonly host: string[];
  readonly ports: number[];
  readonly discovery: string | null;
}

// Keyed by task name: fish-market.3f9a1c20… appears twice in the fixture (names fish.market and sea.lion2).
const FAKE_STATE: Want[] = [
  {
    name: 'collector',
    state: 'TASK_RUNNING',
    netinfo: ['203.0.113.41', '203.0.113.40', 'fd02:a::3:9000:4'],
    docker: [],
    mesos: [],
    host: ['2001:db8:4::7'],
    ports: [31960, 31961],
    discovery: null,
  },
  { name: 'archiver', state: 'TASK_RUNNING', netinfo: [], docker: [], mesos: [], host: ['198.51.100.21'], ports: [31777], discovery: null },
  {
    name: 'ferry.e4f5a6b7-8b7f-11ee-9c4e-0242ac110002',
    state: 'TASK_KILLED',
    netinfo: [],
    docker: [],
    mesos: [],
    host: ['198.51.100.21'],
    ports: [31190],
    discovery: null,
  },
  {
    name: 'fish.market',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: ['10.20.0.1'],
    mesos: [],
    host: ['198.51.100.21'],
    ports: [31801, 31802],
    discovery: 'fish.market',
  },
  {
    name: 'sea.lion2',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: ['10.20.0.1'],
    mesos: [],
    host: ['198.51.100.21'],
    ports: [31801, 31802],
    discovery: 'sea.lion',
  },
  {
    name: 'fishmarket-canary-instance',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: ['10.20.0.2'],
    mesos: [],
    host: ['198.51.100.22'],
    ports: [31910, 31911],
    discovery: 'fish.market',
  },
  {
    name: 'ice.cream',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: [],
    mesos: [],
    host: ['198.51.100.21'],
    ports: [31420, 31421],
    discovery: null,
  },
  {
    name: 'lighthouse',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: [],
    mesos: [],
    host: ['198.51.100.21'],
    ports: [31500],
    discovery: null,
  },
  {
    name: 'tugboat',
    state: 'TASK_RUNNING',
    netinfo: [],
    docker: [],
    mesos: ['10.20.0.3'],
    host: ['198.51.100.21'],
    ports: [],
    discovery: null,
  },
  { name: 'buoy', state: 'TASK_RUNNING', netinfo: [], docker: [], mesos: [], host: ['198.51.100.22'], ports: [31644], discovery: null },
];

describe('harbor.json (hand-written master state), task by task', async () => {
  const snapshot = await fixtureSnapshot(HARBOR);
  const byName = new Map<string, Task>(tasksOf(snapshot).map((t) => [t.name, t]));

  it('has exactly the tasks of the live frameworks', () => {
    expect([...byName.keys()].sort()).toEqual(FAKE_STATE.map((w) => w.name).sort());
  });
  for (const want of FAKE_STATE) {
    it(want.name, () => {
      const task = byName.get(want.name)!;
      expect(task.state).toBe(want.state);
      expect(task.ips).toEqual({ netinfo: want.netinfo, docker: want.docker, mesos: want.mesos, host: want.host });
      expect(task.resources.ports).toEqual(want.ports);
      expect(task.discovery?.name ?? null).toBe(want.discovery);
    });
  }
  it('discovery ports and labels of fish.market', () => {
    const discovery = byName.get('fish.market')!.discovery!;
    expect(discovery.visibility).toBe('CLUSTER');
    expect(discovery.ports.map((p) => [p.number, p.protocol, p.name])).toEqual([[8080, 'tcp', 'web'], [8443, 'tcp', 'tls']]);
    expect(discovery.labels).toEqual([{ key: 'zone', value: 'eu-west-1a' }, { key: 'tier', value: 'frontend' }]);
  });
  it('leader, frameworks with their pids, agents with IPv6', () => {
    expect(snapshot.leader?.address).toMatchObject({ host: '192.0.2.5', port: 5050, ips: ['192.0.2.5'] });
    const ipv6 = snapshot.frameworks.find((f) => f.name === 'metrics-v6')!;
    expect(ipv6.pid).toMatchObject({ host: '2001:db8:4::7', port: 25603, ips: ['2001:db8:4::7'] });
    const hostnameOnly = snapshot.frameworks.find((f) => f.name === 'hostname only')!;
    expect(hostnameOnly.pid).toBeNull();
    expect(hostnameOnly.ips).toEqual(['127.0.0.1']);
    expect(snapshot.agents.map((a) => a.ips)).toEqual([['198.51.100.20'], ['198.51.100.21'], ['198.51.100.22'], ['2001:db8:4::7']]);
  });
  it('is frozen all the way down (built frozen, not frozen afterwards)', () => {
    const unfrozen: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return;
      if (!Object.isFrozen(value)) unfrozen.push(path);
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
    };
    walk(snapshot, 'snapshot');
    expect(unfrozen).toEqual([]);
  });
});

describe('health from the newest status', () => {
  const table: { name: string; statuses: unknown[]; want: string }[] = [
    {
      name: 'newest healthy',
      statuses: [
        { state: 'TASK_RUNNING', timestamp: 1, healthy: false },
        { state: 'TASK_RUNNING', timestamp: 2, healthy: true },
      ],
      want: 'healthy',
    },
    {
      name: 'newest unhealthy',
      statuses: [
        { state: 'TASK_RUNNING', timestamp: 2, healthy: false },
        { state: 'TASK_RUNNING', timestamp: 1, healthy: true },
      ],
      want: 'unhealthy',
    },
    {
      name: 'newest without a check',
      statuses: [
        { state: 'TASK_RUNNING', timestamp: 1, healthy: true },
        { state: 'TASK_RUNNING', timestamp: 2 },
      ],
      want: 'unknown',
    },
    { name: 'healthy of the wrong type', statuses: [{ state: 'TASK_RUNNING', timestamp: 1, healthy: 'yes' }], want: 'unknown' },
    { name: 'no statuses', statuses: [], want: 'unknown' },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const doc = { frameworks: [{ id: 'f', tasks: [{ id: 't', state: 'TASK_RUNNING', statuses: c.statuses }] }] };
      const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost: async () => [] });
      expect(tasksOf(snapshot)[0]!.health).toBe(c.want);
    });
  }
});

describe('host names that do not resolve', () => {
  const resolvers: [string, (host: string) => Promise<string[]>][] = [
    ['a resolver that rejects', async () => Promise.reject(new Error('SERVFAIL'))],
    ['a resolver that throws synchronously', (() => { throw new Error('boom'); }) as unknown as (host: string) => Promise<string[]>],
    ['a resolver that answers garbage', async () => ['not-an-ip', 7 as unknown as string]],
    ['a resolver that answers no list', async () => null as unknown as string[]],
  ];
  for (const [name, resolveHost] of resolvers) {
    it(`${name}: empty IPs, the snapshot still builds`, async () => {
      const doc = {
        leader: 'master@master.invalid:5050',
        slaves: [{ id: 'S0', pid: 'slave(1)@agent.invalid:5051' }],
        frameworks: [{ id: 'f', tasks: [{ id: 't', slave_id: 'S0', state: 'TASK_RUNNING' }] }],
      };
      const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost });
      expect(snapshot.leader?.address.ips).toEqual([]);
      expect(tasksOf(snapshot)[0]!.ips.host).toEqual([]);
    });
  }
  it('the default resolver gives an unresolvable name no IPs', async () => {
    const doc = { leader: 'master@no-such-host.invalid:5050', frameworks: [] };
    const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0 });
    expect(snapshot.leader?.address.ips).toEqual([]);
  });
});

describe('createSource', () => {
  const deps = () => ({
    store: new ClusterStore({ staleAfterMs: 1000, unusableAfterMs: 2000, logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
  it('local: a LocalSource for the embedded cluster (nothing starts before start())', async () => {
    const { parseConfig } = await import('../../config/index.js');
    const source = await createSource(parseConfig('cluster:\n  local:\n    http: 127.0.0.1:0\n', 'g.yaml').cluster, deps());
    expect(source.constructor.name).toBe('LocalSource');
    await source.close();
  });
  it('file: a FileSource for the path', async () => {
    const source = await createSource({ source: 'file', file: { path: '/nonexistent/state.json' } } as unknown as ClusterConfig, deps());
    expect(source.constructor.name).toBe('FileSource');
    await source.close();
  });
  it('mesos with no masters: refused naming the option', async () => {
    await expect(
      createSource(
        { source: 'mesos', mesos: { masters: [], marathon: null, refreshMs: 1000, timeoutMs: 1000 } } as unknown as ClusterConfig,
        deps(),
      ),
    ).rejects.toMatchObject({ code: 'ERR_CLUSTER_CONFIG', message: expect.stringContaining('masters') });
  });
});
