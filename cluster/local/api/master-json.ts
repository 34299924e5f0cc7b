// The embedded master's state in Apache Mesos's own JSON (`GET /master/state`, `/master/state-summary`,
// an agent's `/state`), so every reader of a real Mesos (our `mesos` source, Mesos-DNS, the DC/OS CLI)
// reads it unchanged.
import { hostname } from 'node:os';
import type { LocalAgent } from '../agent/agent.js';
import type { FrameworkRecord, LocalMaster, TaskRecord } from '../master/master.js';
import { addResources, NO_RESOURCES, resourcesJson } from '../master/resources.js';
import type { TaskStatusUpdate } from '../master/task-messages.js';

/** The Mesos version whose state format this follows. */
export const MESOS_VERSION = '1.11.0';

export interface MasterJsonOptions {
  readonly clusterName: string;
  readonly workDir: string;
}

export function masterState(master: LocalMaster, options: MasterJsonOptions): Record<string, unknown> {
  const frameworks = master.frameworks();
  return {
    version: MESOS_VERSION,
    git_sha: 'gatehouse-embedded',
    build_date: '',
    build_time: 0,
    build_user: 'gatehouse',
    start_time: master.startedAt,
    elected_time: master.startedAt,
    id: master.id,
    pid: master.pid,
    hostname: master.ip,
    activated_slaves: master.agents().length,
    deactivated_slaves: 0,
    cluster: options.clusterName,
    leader: master.pid,
    leader_info: { id: master.id, pid: master.pid, ip: ipv4Number(master.ip), port: master.port, hostname: master.ip },
    log_dir: '',
    flags: masterFlags(master, options),
    slaves: master.agents().map((agent) => agentSummary(master, agent)),
    frameworks: frameworks.map((framework) => frameworkJson(master, framework, true)),
    completed_frameworks: [],
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

/** The master's flags as Mesos lists them (`/master/flags`, GET_FLAGS): names and string values. */
export function masterFlags(master: LocalMaster, options: MasterJsonOptions): Record<string, string> {
  return {
    allocation_interval: mesosDuration(master.allocationIntervalMs),
    cluster: options.clusterName,
    hostname: master.ip,
    port: String(master.port),
    work_dir: options.workDir,
    max_completed_tasks_per_framework: String(master.maxCompletedTasks),
    offer_timeout: mesosDuration(master.offerTimeoutMs),
    host: hostname(),
  };
}

export function stateSummary(master: LocalMaster, options: MasterJsonOptions): Record<string, unknown> {
  return {
    hostname: master.ip,
    cluster: options.clusterName,
    slaves: master
      .agents()
      .map((agent) => ({
        ...agentSummary(master, agent),
        TASK_RUNNING: runningOn(master, agent.id),
        framework_ids: master.frameworks().map((f) => f.id),
      })),
    frameworks: master.frameworks().map((framework) => {
      const { tasks: _tasks, completed_tasks: _completed, ...rest } = frameworkJson(master, framework, false);
      return {
        ...rest,
        TASK_RUNNING: [...framework.tasks.values()].filter((t) => t.state === 'TASK_RUNNING').length,
        slave_ids: master.agents().map((a) => a.id),
      };
    }),
  };
}

function agentSummary(master: LocalMaster, agent: LocalAgent): Record<string, unknown> {
  return {
    id: agent.id,
    pid: agent.pid,
    hostname: agent.hostname,
    port: agent.port,
    registered_time: agent.registeredAt,
    resources: resourcesJson(agent.resources),
    used_resources: resourcesJson(master.used(agent.id)),
    offered_resources: resourcesJson(master.offeredOn(agent.id)),
    reserved_resources: {},
    unreserved_resources: resourcesJson(agent.resources),
    attributes: {},
    active: true,
    version: MESOS_VERSION,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
  };
}

function frameworkJson(master: LocalMaster, framework: FrameworkRecord, withTasks: boolean): Record<string, unknown> {
  const live = [...framework.tasks.values()];
  const used = live.reduce((sum, t) => addResources(sum, t.launch.resources), NO_RESOURCES);
  return {
    id: framework.id,
    name: framework.scheduler.name,
    pid: `scheduler-${framework.id}@${master.ip}:${master.port}`,
    hostname: master.ip,
    user: process.env['USER'] ?? 'root',
    role: '*',
    roles: ['*'],
    active: true,
    connected: true,
    recovered: false,
    checkpoint: true,
    failover_timeout: 604800,
    capabilities: ['PARTITION_AWARE'],
    registered_time: framework.registeredAt,
    unregistered_time: 0,
    reregistered_time: framework.registeredAt,
    webui_url: framework.scheduler.webuiUrl ?? '',
    resources: resourcesJson(used),
    used_resources: resourcesJson(used),
    offered_resources: resourcesJson(NO_RESOURCES),
    offers: [],
    executors: [],
    ...(withTasks ? { tasks: live.map(taskJson), completed_tasks: framework.completed.map(taskJson) } : {}),
  };
}

export function taskJson(task: TaskRecord): Record<string, unknown> {
  const { launch } = task;
  return {
    id: launch.taskId,
    name: launch.name,
    framework_id: launch.frameworkId,
    executor_id: '',
    slave_id: launch.agentId,
    agent_id: launch.agentId,
    state: task.state,
    resources: resourcesJson(launch.resources),
    role: launch.role ?? '*',
    // Mesos records the updates the agent sent; the master's own TASK_STAGING is the task's first
    // state, not a status (so `statuses[0]` carries the container id, which the DC/OS CLI reads).
    statuses: task.statuses.filter((s) => !(s.state === 'TASK_STAGING' && s.source === 'SOURCE_MASTER')).map(statusJson),
    ...(launch.labels.length ? { labels: launch.labels } : {}),
    ...(launch.discovery ? { discovery: launch.discovery } : {}),
  };
}

function statusJson(status: TaskStatusUpdate): Record<string, unknown> {
  return {
    state: status.state,
    timestamp: status.timestamp,
    ...(status.healthy !== undefined ? { healthy: status.healthy } : {}),
    ...(status.message ? { message: status.message } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
    source: status.source,
    container_status: {
      ...(status.containerId ? { container_id: { value: status.containerId } } : {}),
      network_infos: [{ ip_addresses: status.ips.map((ip) => ({ protocol: ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: ip })) }],
    },
  };
}

function runningOn(master: LocalMaster, agentId: string): number {
  let count = 0;
  for (const framework of master.frameworks())
    for (const task of framework.tasks.values()) if (task.launch.agentId === agentId && task.state === 'TASK_RUNNING') count++;
  return count;
}

// Mesos writes the leader's IPv4 address as a little-endian 32-bit number in leader_info.
function ipv4Number(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return 0;
  return ((parts[3]! << 24) >>> 0) + (parts[2]! << 16) + (parts[1]! << 8) + parts[0]!;
}

/** A duration as Mesos prints its flags: `1secs`, `250ms`. */
function mesosDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}secs` : `${ms}ms`;
}
