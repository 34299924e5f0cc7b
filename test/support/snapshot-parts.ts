// Snapshot parts built in a test, for the DNS record generator's tests: a running task on an agent
// with the fields the generator reads, and a snapshot holding given agents, frameworks and masters.
import type { Agent, DiscoveryPort, SnapshotData, Task, TaskState } from '../../cluster/index.js';

export interface TaskSpec {
  readonly on: Agent;
  readonly id?: string;
  readonly name?: string;
  readonly state?: TaskState;
  /** Host ports of the task's resources. */
  readonly ports?: number[];
  /** Container (NetworkInfo) addresses. */
  readonly netinfo?: string[];
  readonly discovery?: { name: string; ports?: Partial<DiscoveryPort>[] };
}

/** A task of framework `fw` (id `t1`, name `web` unless given); its host IPs are its agent's. */
export const taskOn = (t: TaskSpec): Task => ({
  id: t.id ?? 't1',
  name: t.name ?? 'web',
  frameworkId: 'fw',
  agentId: t.on.id,
  state: t.state ?? 'TASK_RUNNING',
  labels: [],
  resources: { cpus: 0.1, mem: 32, disk: 0, ports: t.ports ?? [] },
  discovery: t.discovery
    ? {
        name: t.discovery.name,
        visibility: 'FRAMEWORK',
        labels: [],
        ports: (t.discovery.ports ?? []).map((p) => ({ number: 0, protocol: '', name: '', labels: [], ...p })),
      }
    : null,
  vipLabels: [],
  ips: { netinfo: t.netinfo ?? [], docker: [], mesos: [], host: t.on.ips },
  health: 'unknown',
  appId: null,
});

/** A file-source snapshot with no leader, masters, agents or frameworks but those given. */
export const snapshotOf = (parts: Partial<Pick<SnapshotData, 'agents' | 'frameworks' | 'leader' | 'masters'>>): SnapshotData => ({
  fetchedAt: 0, source: { kind: 'file', origin: 'test' }, clusterName: null, leader: null, masters: [], agents: [], frameworks: [], apps: [], ...parts,
});
