// What the master, agents and scheduler pass to each other: Mesos's TaskInfo and TaskStatus, trimmed
// to what a single-machine cluster uses, in the field names of Mesos's JSON where they show.
import type { Resources } from './resources.js';

export interface KeyValue { readonly key: string; readonly value: string }

export interface DiscoveryPortJson {
  readonly number: number;
  readonly name?: string;
  readonly protocol: string;
  readonly labels?: { readonly labels: readonly KeyValue[] };
}

export interface DiscoveryJson {
  readonly visibility: 'FRAMEWORK' | 'CLUSTER' | 'EXTERNAL';
  readonly name: string;
  readonly ports: { readonly ports: readonly DiscoveryPortJson[] };
}

export interface TaskLaunch {
  readonly taskId: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly agentId: string;
  /** A shell command (`sh -c`). */
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly resources: Resources;
  readonly labels: readonly KeyValue[];
  readonly discovery: DiscoveryJson | null;
  readonly killGracePeriodMs: number;
  /** The role the task's resources are allocated to (Marathon's app `role`); Mesos's default `*` when absent. */
  readonly role?: string;
}

export type LocalTaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_KILLING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLED'
  | 'TASK_LOST'
  | 'TASK_ERROR';

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR']);

export interface TaskStatusUpdate {
  readonly taskId: string;
  readonly agentId: string;
  readonly state: LocalTaskState;
  /** Seconds since the epoch, fractional, as Mesos writes it. */
  readonly timestamp: number;
  readonly message?: string;
  readonly reason?: string;
  readonly source: 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';
  /** The task's IPs (on this host: the agent's). */
  readonly ips: readonly string[];
  readonly healthy?: boolean;
  /** The container the agent runs the task in (its sandbox is `runs/<containerId>`); set on the agent's updates, as Mesos does. */
  readonly containerId?: string;
}

export function nowSeconds(): number {
  return Date.now() / 1000;
}
