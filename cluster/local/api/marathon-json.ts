// The scheduler's apps and tasks in Marathon's JSON (`/v2/apps`, `/v2/tasks`, `/v2/queue`), so Marathon
// clients, our `mesos` source's Marathon merge and DC/OS tooling read it unchanged.
import { healthCheckJson } from '../apps/app-json.js';
import type { AppState, SchedulerTask } from '../scheduler/scheduler.js';

export const MARATHON_VERSION = '1.11.0';

/** What an app's JSON shows beyond its definition and tasks: its version history and running deployments. */
export interface AppExtras {
  readonly lastConfigChangeAt?: string;
  readonly deployments?: readonly string[];
}

export function appJson(app: AppState, embedTasks: boolean, extras: AppExtras = {}): Record<string, unknown> {
  const d = app.definition;
  const tasks = [...app.tasks.values()];
  const withChecks = tasks.filter((t) => t.health !== null && t.health.known);
  return {
    id: d.id,
    cmd: d.cmd,
    args: d.args,
    instances: d.instances,
    cpus: d.cpus,
    mem: d.mem,
    disk: d.disk,
    gpus: 0,
    env: d.env,
    labels: d.labels,
    portDefinitions: d.portDefinitions.map((p) => ({ port: p.port, protocol: p.protocol, ...(p.name ? { name: p.name } : {}), labels: p.labels })),
    requirePorts: d.requirePorts,
    healthChecks: d.healthChecks.map(healthCheckJson),
    backoffSeconds: d.backoffSeconds,
    backoffFactor: d.backoffFactor,
    maxLaunchDelaySeconds: d.maxLaunchDelaySeconds,
    taskKillGracePeriodSeconds: d.killGracePeriodSeconds,
    version: d.version,
    versionInfo: { lastScalingAt: d.version, lastConfigChangeAt: extras.lastConfigChangeAt ?? d.version },
    tasksStaged: tasks.filter((t) => t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING').length,
    tasksRunning: tasks.filter((t) => t.state === 'TASK_RUNNING').length,
    tasksHealthy: withChecks.filter((t) => t.health!.healthy).length,
    tasksUnhealthy: withChecks.filter((t) => !t.health!.healthy).length,
    deployments: (extras.deployments ?? []).map((id) => ({ id })),
    ...(app.lastTaskFailure ? { lastTaskFailure: { appId: d.id, ...app.lastTaskFailure } } : {}),
    ...(embedTasks ? { tasks: tasks.map(taskJson) } : {}),
  };
}

export function taskJson(task: SchedulerTask): Record<string, unknown> {
  return {
    id: task.id,
    appId: task.appId,
    host: task.host,
    ipAddresses: [{ ipAddress: task.host, protocol: task.host.includes(':') ? 'IPv6' : 'IPv4' }],
    ports: task.ports,
    servicePorts: [],
    slaveId: task.launch.agentId,
    stagedAt: new Date(task.stagedAt).toISOString(),
    startedAt: task.startedAt === null ? null : new Date(task.startedAt).toISOString(),
    state: task.state,
    version: task.version,
    ...(task.health && task.health.known ? { healthCheckResults: task.health.results.map((r) => ({ ...r, taskId: task.id, instanceId: task.id })) } : {}),
  };
}

export function queueJson(
  apps: readonly AppState[],
  missing: (app: AppState) => number,
  extras: (app: AppState) => AppExtras = () => ({}),
): Record<string, unknown> {
  return {
    queue: apps
      .filter((app) => missing(app) > 0)
      .map((app) => ({
        app: appJson(app, false, extras(app)),
        count: missing(app),
        delay: { timeLeftSeconds: Math.max(0, Math.ceil((app.delayUntil - Date.now()) / 1000)), overdue: app.delayUntil <= Date.now() },
        since: app.definition.version,
        // Marathon's own summary of why offers were not used, plus the reason in words.
        processedOffersSummary: {
          rejectSummaryLastOffers: Object.entries({
            cpus: 'InsufficientCpus',
            mem: 'InsufficientMemory',
            disk: 'InsufficientDisk',
            ports: 'InsufficientPorts',
          }).map(([key, reason]) => ({ reason, declined: app.rejected[key as keyof typeof app.rejected] ?? 0, processed: 1 })),
        },
        waiting: app.waiting,
      })),
  };
}
