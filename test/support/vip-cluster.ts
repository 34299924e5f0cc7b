// Snapshots of a Marathon cluster whose apps declare VIPs, in the real /master/state format (the port
// labels in each task's DiscoveryInfo, where Marathon copies them). One agent on 127.0.0.1, so the
// backends are whatever servers a test runs there.
import { parseMasterState, type SnapshotData } from '../../cluster/index.js';
import { masterState, type StatusSpec, type TaskSpec } from './master-state.js';

export interface VipTaskSpec {
  /** Host port of the task's first port (its backend). */
  readonly port: number;
  readonly state?: string;
  readonly healthy?: boolean;
  /** Container IPs (a task on a container network); none: host networking. */
  readonly containerIps?: readonly string[];
  readonly id?: string;
}

export interface VipAppSpec {
  /** Marathon app id, e.g. `/hello` or `/grp/web`. */
  readonly id: string;
  /** Port labels of the first port, e.g. `{ VIP_0: '/hello:8000' }`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly tasks: readonly VipTaskSpec[];
  readonly protocol?: string;
  /** Extra port labels (e.g. `network-scope`). */
  readonly portLabels?: Readonly<Record<string, string>>;
}

/** Task ids are a function of the app and port: the same task keeps its id across snapshots. */
export function vipTask(app: VipAppSpec, t: VipTaskSpec, i: number): TaskSpec {
  const segments = app.id.split('/').filter(Boolean);
  const name = [...segments].reverse().join('.');
  const hex = (n: number) => n.toString(16).padStart(12, '0');
  const id = t.id ?? `${segments.join('_')}.00000000-0000-4000-8000-${hex(t.port * 100 + i)}`;
  const status: StatusSpec = {
    timestamp: 1_700_000_000 + i,
    ...(t.healthy !== undefined ? { healthy: t.healthy } : {}),
    ...(t.containerIps ? { networks: [{ ips: t.containerIps }] } : {}),
    ...(t.state && t.state !== 'TASK_RUNNING' ? { state: t.state } : {}),
  };
  return {
    id,
    name,
    agent: 'agent-S0',
    state: t.state ?? 'TASK_RUNNING',
    ports: `[${t.port}-${t.port}]`,
    statuses: [status],
    discovery: { name, ports: [{ number: t.port, protocol: app.protocol ?? 'tcp', name: 'http', labels: { ...app.labels, ...(app.portLabels ?? {}) } }] },
  };
}

export function vipState(apps: readonly VipAppSpec[]): Record<string, unknown> {
  return masterState({
    leader: 'master@127.0.0.1:5050',
    agents: [{ id: 'agent-S0', host: '127.0.0.1' }],
    frameworks: [
      {
        id: 'marathon-fw',
        name: 'marathon',
        pid: 'scheduler-1@127.0.0.1:8080',
        tasks: apps.flatMap((app) => app.tasks.map((t, i) => vipTask(app, t, i))),
      },
    ],
  });
}

export function vipSnapshot(apps: readonly VipAppSpec[]): Promise<SnapshotData> {
  return parseMasterState(vipState(apps), { source: { kind: 'file', origin: 'test' }, fetchedAt: Date.now() });
}
