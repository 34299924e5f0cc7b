// The one picture of the cluster that everything downstream (DNS, gateway, pages) is a view of.
// A snapshot is built whole by a source, frozen, numbered by the store, and never changed after.

export type SourceKind = 'mesos' | 'file' | 'local';

/** Where a task's IP addresses came from (Mesos-DNS `IPSources` names). */
export type IpSource = 'netinfo' | 'docker' | 'mesos' | 'host';
export const IP_SOURCES: readonly IpSource[] = ['netinfo', 'docker', 'mesos', 'host'];

export type TaskState =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED'
  | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_LOST' | 'TASK_ERROR' | 'TASK_DROPPED'
  | 'TASK_UNREACHABLE' | 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN'
  | (string & {});

/** Health as far as the cluster knows: Mesos `healthy` on the newest status, or Marathon's checks. */
export type TaskHealth = 'healthy' | 'unhealthy' | 'unknown';

export interface Label { readonly key: string; readonly value: string }

/** A `<id>@<host>:<port>` libprocess address, with the host resolved to IPs when it was a name. */
export interface ProcessAddress {
  readonly raw: string;
  readonly host: string;          // as written (IP literal or hostname), IPv6 without brackets
  readonly port: number;
  readonly ips: readonly string[]; // canonical textual IPs; empty when the name did not resolve
}

export interface Master {
  readonly address: ProcessAddress;
}

export interface Agent {
  readonly id: string;
  readonly hostname: string;
  readonly pid: ProcessAddress | null;
  /** The agent's IPs (pid host, resolved). Used for `.slave.` names and the `host` IP source. */
  readonly ips: readonly string[];
  readonly active: boolean;
  readonly resources: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface DiscoveryPort {
  readonly number: number;
  readonly protocol: string;               // as written; may be empty
  readonly name: string;                   // may be empty
  readonly labels: readonly Label[];
}

export interface DiscoveryInfo {
  readonly name: string;                   // may be empty
  readonly visibility: string;
  readonly ports: readonly DiscoveryPort[];
  readonly labels: readonly Label[];
}

/**
 * A port label `VIP_<n>` of a task's DiscoveryInfo (Marathon copies the labels of portDefinitions and
 * portMappings there, so this works the same for the embedded cluster and a real Marathon): what it
 * declares, or why it declares nothing. Kept as data so that DNS and the mesh read one parse.
 */
export interface VipLabel {
  readonly key: string;                    // as written, e.g. `VIP_0`
  readonly value: string;                  // as written, e.g. `/hello:8000` or `10.0.0.9:80`
  /** The port's protocol, lower case (`tcp`, `udp`; anything else makes the label invalid). */
  readonly protocol: string;
  /** The DiscoveryInfo port number: a host port (`network-scope: host`) or a container port. */
  readonly backendPort: number;
  readonly scope: 'host' | 'container';
  readonly target:
    | { readonly kind: 'named'; readonly name: string; readonly port: number }
    | { readonly kind: 'ip'; readonly ip: string; readonly port: number }
    | { readonly kind: 'invalid'; readonly reason: string };
}

export interface Task {
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly state: TaskState;
  // No status history: the parse reads the statuses for `ips` and `health` and keeps only those (at
  // 10,000 tasks the statuses were some 2.5 MB of objects nothing read again).
  readonly labels: readonly Label[];
  readonly resources: {
    readonly cpus: number;
    readonly mem: number;
    readonly disk: number;
    /** Host ports, ranges expanded, in document order. */
    readonly ports: readonly number[];
  };
  readonly discovery: DiscoveryInfo | null;
  /** The VIP labels of the DiscoveryInfo ports, in port order (empty for most tasks). */
  readonly vipLabels: readonly VipLabel[];
  /** IPs per source, from the newest TASK_RUNNING status (`host` = the agent's IPs). */
  readonly ips: Readonly<Record<IpSource, readonly string[]>>;
  readonly health: TaskHealth;
  /** Marathon app id (`/grp/app`) when the scheduler is Marathon and the app is known. */
  readonly appId: string | null;
}

export interface Framework {
  readonly id: string;
  readonly name: string;
  readonly pid: ProcessAddress | null;
  readonly hostname: string;
  /** Scheduler IPs: the pid host, else `hostname`, resolved. */
  readonly ips: readonly string[];
  readonly active: boolean;
  readonly webuiUrl: string | null;
  readonly tasks: readonly Task[];
}

/** A Marathon app, when Marathon is configured (labels drive `/service/<name>/` routing). */
export interface App {
  readonly id: string;                     // `/grp/app`
  readonly labels: Readonly<Record<string, string>>;
  readonly instances: number;
  readonly portDefinitions: readonly { readonly port: number; readonly name: string | null; readonly protocol: string }[];
  readonly taskIds: readonly string[];
}

export interface SnapshotSource {
  readonly kind: SourceKind;
  /** The URL (master, file path) the document came from. */
  readonly origin: string;
}

/** What a source produces; the store adds the generation number. */
export interface SnapshotData {
  readonly fetchedAt: number;              // epoch ms
  readonly source: SnapshotSource;
  readonly clusterName: string | null;
  readonly leader: Master | null;
  /** Masters known to the source (configured list, leader included), in configured order. */
  readonly masters: readonly Master[];
  readonly agents: readonly Agent[];
  readonly frameworks: readonly Framework[];
  readonly apps: readonly App[];
}

export interface Snapshot extends SnapshotData {
  /** Increases by one for every snapshot the store accepts; never reused within a process. */
  readonly generation: number;
}

/** Every task of every framework, in document order. */
export function tasksOf(snapshot: SnapshotData): Task[] {
  const all: Task[] = [];
  for (const framework of snapshot.frameworks) all.push(...framework.tasks);
  return all;
}
