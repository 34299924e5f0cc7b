// Builds Mesos state documents in the real format (`/master/state` of a master, `/state` of an agent)
// from short typed descriptions: a test names only what its case is about, and the fields a real
// master always writes (framework ids on tasks, resources, executor ids, timestamps) are filled in the
// way Mesos fills them, so parsers meet complete documents and not minimal ones.
type Json = Record<string, unknown>;

export interface NetworkSpec {
  readonly ips: readonly string[];
  readonly name?: string;
  /** Mesos 0.25 wrote one `ip_address` per network; later versions a list (both are written then). */
  readonly form?: 'list' | 'single' | 'both';
}

export interface StatusSpec {
  readonly state?: string;
  readonly timestamp: number;
  readonly healthy?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networks?: readonly NetworkSpec[];
}

export interface DiscoveryPortSpec {
  readonly number: number;
  readonly protocol?: string;
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface DiscoverySpec {
  readonly name: string;
  readonly visibility?: 'FRAMEWORK' | 'CLUSTER' | 'EXTERNAL';
  readonly ports?: readonly DiscoveryPortSpec[];
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TaskSpec {
  readonly id: string;
  readonly name: string;
  readonly agent: string;
  readonly state?: string;
  /** A Mesos range string such as "[31000-31001, 31005-31005]". */
  readonly ports?: string;
  readonly statuses?: readonly StatusSpec[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly discovery?: DiscoverySpec;
  readonly container?: Json;
  readonly healthCheck?: Json;
}

export interface FrameworkSpec {
  readonly id: string;
  readonly name: string;
  /** `scheduler(1)@ip:port`; absent for HTTP-API schedulers, which only have a hostname. */
  readonly pid?: string;
  readonly hostname?: string;
  readonly webuiUrl?: string;
  readonly tasks?: readonly TaskSpec[];
  readonly completedTasks?: readonly TaskSpec[];
}

export interface AgentSpec {
  readonly id: string;
  /** The libprocess host: an IP literal (IPv6 without brackets) or a host name. */
  readonly host: string;
  readonly hostname?: string;
  readonly port?: number;
}

export interface MasterSpec {
  /** `master@ip:port`, or null for a document written without one (the key is then left out). */
  readonly leader: string | null;
  readonly cluster?: string;
  readonly agents: readonly AgentSpec[];
  readonly frameworks: readonly FrameworkSpec[];
}

const labelList = (labels: Readonly<Record<string, string>> | undefined) => Object.entries(labels ?? {}).map(([key, value]) => ({ key, value }));
const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function network(spec: NetworkSpec): Json {
  const form = spec.form ?? 'list';
  const out: Json = {};
  if (spec.name) out['name'] = spec.name;
  if (form !== 'single') out['ip_addresses'] = spec.ips.map((ip) => ({ protocol: ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: ip }));
  if (form !== 'list') out['ip_address'] = spec.ips[0] ?? '';
  return out;
}

function status(spec: StatusSpec, taskId: string): Json {
  const out: Json = { state: spec.state ?? 'TASK_RUNNING', timestamp: spec.timestamp };
  if (spec.healthy !== undefined) out['healthy'] = spec.healthy;
  if (spec.labels) out['labels'] = labelList(spec.labels);
  if (spec.networks) out['container_status'] = { container_id: { value: `ctr-${taskId}` }, network_infos: spec.networks.map(network) };
  return out;
}

function discovery(spec: DiscoverySpec): Json {
  const out: Json = { visibility: spec.visibility ?? 'FRAMEWORK', name: spec.name };
  out['ports'] = {
    ports: (spec.ports ?? []).map((p) => ({
      number: p.number,
      protocol: p.protocol ?? 'tcp',
      ...(p.name ? { name: p.name } : {}),
      ...(p.labels ? { labels: { labels: labelList(p.labels) } } : {}),
    })),
  };
  if (spec.labels) out['labels'] = { labels: labelList(spec.labels) };
  return out;
}

export function task(spec: TaskSpec, frameworkId: string): Json {
  const out: Json = {
    id: spec.id,
    name: spec.name,
    framework_id: frameworkId,
    executor_id: '',
    slave_id: spec.agent,
    state: spec.state ?? 'TASK_RUNNING',
    resources: { cpus: 0.1, mem: 128, disk: 0, ...(spec.ports !== undefined ? { ports: spec.ports } : {}) },
    statuses: (spec.statuses ?? [{ timestamp: 1_700_000_000 }]).map((s) => status(s, spec.id)),
  };
  if (spec.labels) out['labels'] = labelList(spec.labels);
  if (spec.discovery) out['discovery'] = discovery(spec.discovery);
  if (spec.container) out['container'] = spec.container;
  if (spec.healthCheck) out['health_check'] = spec.healthCheck;
  return out;
}

function framework(spec: FrameworkSpec): Json {
  return {
    id: spec.id,
    name: spec.name,
    ...(spec.pid ? { pid: spec.pid } : {}),
    hostname: spec.hostname ?? 'localhost',
    ...(spec.webuiUrl ? { webui_url: spec.webuiUrl } : {}),
    user: 'root',
    role: '*',
    active: true,
    checkpoint: true,
    failover_timeout: 604800,
    registered_time: 1_700_000_000,
    unregistered_time: 0,
    resources: { cpus: 0, mem: 0, disk: 0 },
    offers: [],
    executors: [],
    tasks: (spec.tasks ?? []).map((t) => task(t, spec.id)),
    completed_tasks: (spec.completedTasks ?? []).map((t) => task(t, spec.id)),
  };
}

function agent(spec: AgentSpec): Json {
  return {
    id: spec.id,
    pid: `slave(1)@${hostPort(spec.host, spec.port ?? 5051)}`,
    hostname: spec.hostname ?? spec.host,
    active: true,
    registered_time: 1_700_000_000,
    attributes: {},
    resources: { cpus: 4, mem: 14336, disk: 65536, ports: '[31000-32000]' },
  };
}

/** A leading master's `/master/state`. */
export function masterState(spec: MasterSpec): Json {
  const leaderPid = spec.leader ?? 'master@127.0.0.1:5050';
  return {
    version: '1.10.1',
    id: 'generated-master',
    pid: leaderPid,
    hostname: leaderPid.replace(/^[^@]*@/, '').replace(/:\d+$/, ''),
    ...(spec.leader ? { leader: spec.leader } : {}),
    ...(spec.cluster ? { cluster: spec.cluster } : {}),
    start_time: 1_700_000_000,
    elected_time: 1_700_000_001,
    activated_slaves: spec.agents.length,
    deactivated_slaves: 0,
    flags: { port: '5050' },
    slaves: spec.agents.map(agent),
    frameworks: spec.frameworks.map(framework),
    completed_frameworks: [],
    unregistered_frameworks: [],
    orphan_tasks: [],
  };
}

export interface AgentStateSpec {
  readonly agent: AgentSpec;
  readonly frameworks: readonly { readonly id: string; readonly name: string; readonly executors: readonly TaskSpec[] }[];
}

/** An agent's `/state`: no leader and no `slaves`; its tasks sit under `frameworks[].executors[]`,
 * so a master-state reader finds frameworks and no tasks in it. */
export function agentState(spec: AgentStateSpec): Json {
  return {
    version: '1.10.1',
    id: spec.agent.id,
    pid: `slave(1)@${hostPort(spec.agent.host, spec.agent.port ?? 5051)}`,
    hostname: spec.agent.hostname ?? spec.agent.host,
    master_hostname: 'master.invalid',
    resources: { cpus: 4, mem: 14336, disk: 65536, ports: '[31000-32000]' },
    attributes: {},
    frameworks: spec.frameworks.map((f) => ({
      id: f.id,
      name: f.name,
      user: 'root',
      hostname: 'localhost',
      role: '*',
      executors: f.executors.map((t) => ({
        id: t.id,
        name: `Command Executor (Task: ${t.id})`,
        source: t.id,
        tasks: [task(t, f.id)],
        queued_tasks: [],
        completed_tasks: [],
      })),
      completed_executors: [],
    })),
    completed_frameworks: [],
  };
}
