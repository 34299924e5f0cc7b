// `/service/<name>/` upstreams: only running tasks that are not failing their health check, from
// Mesos's health on the newest status and from Marathon's checks alike. Each case names the tasks of
// one app and the ports that must (and only those that must) become upstreams.
import { describe, expect, it } from 'vitest';
import { parseMasterState, withMarathon, parseMarathonApps, type Snapshot } from '../../cluster/index.js';
import { resolveService } from '../../gateway/service-resolver.js';
import { masterState, type TaskSpec } from '../support/master-state.js';

const AGENT = 'f0e1d2c3-0000-4000-8000-00000000000a-S0';
const FRAMEWORK = 'f0e1d2c3-0000-4000-8000-00000000000a-0000';

interface Instance {
  readonly port: number;
  readonly state?: string;
  /** Mesos's `healthy` on the newest status (absent: no health check result). */
  readonly healthy?: boolean;
  readonly label?: boolean;
}

function spec(app: string, instance: Instance, i: number): TaskSpec {
  return {
    id: `${app}.${i.toString(16).padStart(8, '0')}-3a4b-11ee-8c5d-0242ac110009`,
    name: app,
    agent: AGENT,
    state: instance.state ?? 'TASK_RUNNING',
    ports: `[${instance.port}-${instance.port}]`,
    ...(instance.label ? { labels: { DCOS_SERVICE_NAME: app, DCOS_SERVICE_PORT_INDEX: '0' } } : {}),
    statuses: [
      {
        state: instance.state ?? 'TASK_RUNNING',
        timestamp: 1_700_000_000 + i,
        ...(instance.healthy === undefined ? {} : { healthy: instance.healthy }),
      },
    ],
  };
}

async function snapshotOf(app: string, instances: readonly Instance[]): Promise<Snapshot> {
  const doc = masterState({
    leader: 'master@127.0.0.1:5050',
    agents: [{ id: AGENT, host: '127.0.0.1' }],
    frameworks: [{ id: FRAMEWORK, name: 'marathon', pid: 'scheduler-1@127.0.0.1:8080', tasks: instances.map((instance, i) => spec(app, instance, i)) }],
  });
  const data = await parseMasterState(doc, { source: { kind: 'file', origin: 'service-resolver' }, fetchedAt: Date.now(), resolveHost: async () => [] });
  return { ...data, generation: 1 };
}

const ports = (s: Snapshot, path: string) => resolveService(s, path)?.upstreams.map((u) => Number(u.port)).sort() ?? null;

describe('service upstreams: running and not failing', () => {
  const cases: { name: string; instances: Instance[]; expected: number[] | null }[] = [
    {
      name: 'healthy, unchecked and unhealthy: the unhealthy one is left out',
      instances: [{ port: 31001, healthy: true }, { port: 31002, healthy: false }, { port: 31003 }],
      expected: [31001, 31003],
    },
    {
      name: 'every task unhealthy: no upstream at all',
      instances: [
        { port: 31001, healthy: false },
        { port: 31002, healthy: false },
      ],
      expected: null,
    },
    {
      name: 'staging, starting and killing tasks are not upstreams',
      instances: [
        { port: 31001, state: 'TASK_STAGING' },
        { port: 31002, state: 'TASK_STARTING' },
        { port: 31003, state: 'TASK_KILLING' },
        { port: 31004 },
      ],
      expected: [31004],
    },
    {
      name: 'by DCOS_SERVICE_NAME label: the unhealthy one is left out',
      instances: [
        { port: 31001, healthy: false, label: true },
        { port: 31002, healthy: true, label: true },
      ],
      expected: [31002],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(ports(await snapshotOf('web', c.instances), 'web/')).toEqual(c.expected);
    });
  }

  it("Marathon's failing health check result keeps a task out even when Mesos has no health on it", async () => {
    const snapshot = await snapshotOf('web', [{ port: 31001 }, { port: 31002 }]);
    const [first, second] = snapshot.frameworks[0]!.tasks;
    const marathon = parseMarathonApps({
      apps: [{ id: '/web', instances: 2, tasks: [
        { id: first!.id, appId: '/web', healthCheckResults: [{ alive: true }] },
        { id: second!.id, appId: '/web', healthCheckResults: [{ alive: false }] },
      ] }],
    });
    const merged = { ...withMarathon(snapshot, marathon), generation: 2 };
    expect(ports(merged, 'web/')).toEqual([31001]);
  });
});
