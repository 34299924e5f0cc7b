// The embedded master's state as the v1 operator API's messages, in Mesos's JSON form of them (the
// proto's field names, enum names). operator-proto.ts turns the same objects into protobuf, so a
// JSON and a protobuf answer always carry the same content.
import type { LocalAgent } from '../agent/agent.js';
import type { FrameworkRecord, LocalMaster, TaskRecord } from '../master/master.js';
import { addResources, NO_RESOURCES, type Resources } from '../master/resources.js';
import type { TaskStatusUpdate } from '../master/task-messages.js';
import { MESOS_VERSION, masterFlags, type MasterJsonOptions } from './master-json.js';

type Json = Record<string, unknown>;

const DEFAULT_ROLE = '*';

export const taskRole = (task: TaskRecord): string => task.launch.role ?? DEFAULT_ROLE;

const id = (value: string): Json => ({ value });
const timeInfo = (seconds: number): Json => ({ nanoseconds: Math.round(seconds * 1e9) });

/** Mesos's Resource list: one entry per kind held; `allocatedTo` marks resources a role holds. */
export function resourceList(r: Resources, allocatedTo?: string): Json[] {
  const role = allocatedTo ? { allocation_info: { role: allocatedTo } } : {};
  const list: Json[] = [];
  for (const name of ['cpus', 'mem', 'disk'] as const) {
    if (r[name] > 0) list.push({ name, type: 'SCALAR', scalar: { value: r[name] }, role: DEFAULT_ROLE, ...role });
  }
  if (r.ports.length > 0)
    list.push({
      name: 'ports',
      type: 'RANGES',
      ranges: { range: r.ports.map((p) => ({ begin: p.begin, end: p.end })) },
      role: DEFAULT_ROLE,
      ...role,
    });
  return list;
}

export function agentInfo(agent: LocalAgent): Json {
  return { hostname: agent.hostname, port: agent.port, resources: resourceList(agent.resources), id: id(agent.id) };
}

export function agentMessage(master: LocalMaster, agent: LocalAgent): Json {
  return {
    agent_info: agentInfo(agent),
    active: true,
    version: MESOS_VERSION,
    pid: agent.pid,
    registered_time: timeInfo(agent.registeredAt),
    total_resources: resourceList(agent.resources),
    allocated_resources: resourceList(master.used(agent.id), DEFAULT_ROLE),
    offered_resources: resourceList(master.offeredOn(agent.id), DEFAULT_ROLE),
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'].map((type) => ({ type })),
  };
}

export function frameworkInfo(master: LocalMaster, framework: FrameworkRecord): Json {
  return {
    user: process.env['USER'] ?? 'root',
    name: framework.scheduler.name,
    id: id(framework.id),
    failover_timeout: 604800,
    checkpoint: true,
    role: DEFAULT_ROLE,
    hostname: master.ip,
    webui_url: framework.scheduler.webuiUrl ?? '',
    capabilities: [{ type: 'PARTITION_AWARE' }],
  };
}

export function frameworkMessage(master: LocalMaster, framework: FrameworkRecord): Json {
  const used = [...framework.tasks.values()].reduce((sum, t) => addResources(sum, t.launch.resources), NO_RESOURCES);
  return {
    framework_info: frameworkInfo(master, framework),
    active: true,
    connected: true,
    recovered: false,
    registered_time: timeInfo(framework.registeredAt),
    reregistered_time: timeInfo(framework.registeredAt),
    allocated_resources: resourceList(used, DEFAULT_ROLE),
  };
}

export function statusMessage(status: TaskStatusUpdate): Json {
  return {
    task_id: id(status.taskId),
    state: status.state,
    ...(status.message ? { message: status.message } : {}),
    source: status.source,
    ...(status.reason ? { reason: status.reason } : {}),
    agent_id: id(status.agentId),
    timestamp: status.timestamp,
    ...(status.healthy !== undefined ? { healthy: status.healthy } : {}),
    container_status: {
      ...(status.containerId ? { container_id: { value: status.containerId } } : {}),
      network_infos: [{ ip_addresses: status.ips.map((ip) => ({ protocol: ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: ip })) }],
    },
  };
}

export function taskMessage(task: TaskRecord): Json {
  const { launch } = task;
  return {
    name: launch.name,
    task_id: id(launch.taskId),
    framework_id: id(launch.frameworkId),
    agent_id: id(launch.agentId),
    state: task.state,
    resources: resourceList(launch.resources, taskRole(task)),
    // As /master/state: the master's own TASK_STAGING is the task's first state, not a status update.
    statuses: task.statuses.filter((s) => !(s.state === 'TASK_STAGING' && s.source === 'SOURCE_MASTER')).map(statusMessage),
    ...(launch.labels.length ? { labels: { labels: launch.labels.map((l) => ({ key: l.key, value: l.value })) } } : {}),
    ...(launch.discovery ? { discovery: launch.discovery } : {}),
  };
}

export function getAgents(master: LocalMaster): Json {
  return { agents: master.agents().map((agent) => agentMessage(master, agent)) };
}

export function getFrameworks(master: LocalMaster): Json {
  return { frameworks: master.frameworks().map((framework) => frameworkMessage(master, framework)) };
}

export function getTasks(master: LocalMaster): Json {
  const frameworks = master.frameworks();
  return {
    tasks: frameworks.flatMap((f) => [...f.tasks.values()].map(taskMessage)),
    completed_tasks: frameworks.flatMap((f) => f.completed.map(taskMessage)),
  };
}

/** Command tasks run without an executor the master knows (as Mesos's command executor): none to list. */
export function getExecutors(): Json {
  return { executors: [] };
}

export function getState(master: LocalMaster): Json {
  return { get_tasks: getTasks(master), get_executors: getExecutors(), get_frameworks: getFrameworks(master), get_agents: getAgents(master) };
}

export function getFlags(master: LocalMaster, options: MasterJsonOptions): Json {
  return { flags: Object.entries(masterFlags(master, options)).map(([name, value]) => ({ name, value })) };
}

export function getVersion(): Json {
  return { version_info: { version: MESOS_VERSION, build_user: 'gatehouse', git_sha: 'gatehouse-embedded' } };
}

export function getMaster(master: LocalMaster): Json {
  return {
    master_info: {
      id: master.id,
      ip: ipv4NetworkOrder(master.ip),
      port: master.port,
      pid: master.pid,
      hostname: master.ip,
      version: MESOS_VERSION,
      address: { hostname: master.ip, ip: master.ip, port: master.port },
      capabilities: [{ type: 'AGENT_UPDATE' }],
    },
    start_time: master.startedAt,
    elected_time: master.startedAt,
  };
}

// MasterInfo.ip: the IPv4 address packed in network byte order, read as a little-endian integer (as
// Mesos fills it on the x86 machines it runs on), so 127.0.0.1 is 16777343.
function ipv4NetworkOrder(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return 0;
  return (((parts[3]! << 24) >>> 0) + (parts[2]! << 16) + (parts[1]! << 8) + parts[0]!) >>> 0;
}
