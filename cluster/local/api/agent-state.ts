// An embedded agent's `/state` and `/monitor/statistics` in Apache Mesos's agent JSON: frameworks with
// their executors (one per command task, its `container` the run's container id and `directory` its
// sandbox), finished runs as `completed_executors`, and per-executor resource statistics.
import { join } from 'node:path';
import type { LocalAgent } from '../agent/agent.js';
import type { ExecutorRun } from '../agent/sandbox-files.js';
import { taskStatistics } from '../agent/task-statistics.js';
import type { LocalMaster, TaskRecord } from '../master/master.js';
import { resourcesJson } from '../master/resources.js';
import { MESOS_VERSION, taskJson } from './master-json.js';

/** The container id of a task's run: the agent puts it on every status update it sends. */
export function containerIdOf(task: TaskRecord): string | null {
  for (let i = task.statuses.length - 1; i >= 0; i--) {
    const id = task.statuses[i]!.containerId;
    if (id) return id;
  }
  return null;
}

/** Runs of this agent's tasks that ended (kept by the master as completed tasks), for the files API. */
export function finishedRuns(agent: LocalAgent, master: LocalMaster): ExecutorRun[] {
  const runs: ExecutorRun[] = [];
  for (const framework of master.frameworks()) {
    for (const task of framework.completed) {
      const containerId = containerIdOf(task);
      if (task.launch.agentId !== agent.id || !containerId) continue;
      runs.push({
        frameworkId: framework.id,
        executorId: task.launch.taskId,
        containerId,
        directory: join(agent.workDir, 'frameworks', framework.id, 'executors', task.launch.taskId, 'runs', containerId),
      });
    }
  }
  return runs.reverse();
}

export function agentState(agent: LocalAgent, master: LocalMaster): Record<string, unknown> {
  const executor = (frameworkId: string, task: TaskRecord, live: boolean): Record<string, unknown> => {
    const running = live ? agent.task(task.launch.taskId) : undefined;
    const containerId = running?.runId ?? containerIdOf(task) ?? '';
    const json = taskJson(task);
    return {
      id: task.launch.taskId,
      name: `Command Executor (Task: ${task.launch.taskId}) (Command: sh -c '${commandPreview(task.launch.command)}')`,
      source: task.launch.taskId,
      framework_id: frameworkId,
      container: containerId,
      directory:
        running?.sandbox ??
        (containerId ? join(agent.workDir, 'frameworks', frameworkId, 'executors', task.launch.taskId, 'runs', containerId) : ''),
      resources: resourcesJson(task.launch.resources),
      role: '*',
      type: 'COMMAND',
      tasks: live ? [json] : [],
      queued_tasks: [],
      completed_tasks: live ? [] : [json],
    };
  };
  return {
    id: agent.id,
    pid: agent.pid,
    hostname: agent.hostname,
    version: MESOS_VERSION,
    git_sha: 'gatehouse-embedded',
    build_user: 'gatehouse',
    start_time: agent.registeredAt,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
    resources: resourcesJson(agent.resources),
    unreserved_resources: resourcesJson(agent.resources),
    reserved_resources: {},
    attributes: {},
    master_hostname: master.ip,
    log_dir: '',
    flags: { work_dir: agent.workDir.replace(/\/slaves\/[^/]+$/, ''), port: String(agent.port), hostname: agent.hostname, gc_delay: '1days' },
    frameworks: master.frameworks().map((framework) => ({
      id: framework.id,
      name: framework.scheduler.name,
      user: process.env['USER'] ?? 'root',
      role: '*',
      hostname: master.ip,
      checkpoint: true,
      failover_timeout: 604800,
      executors: [...framework.tasks.values()].filter((t) => t.launch.agentId === agent.id).map((t) => executor(framework.id, t, true)),
      completed_executors: framework.completed.filter((t) => t.launch.agentId === agent.id).map((t) => executor(framework.id, t, false)),
    })),
    completed_frameworks: [],
  };
}

/** `/monitor/statistics`: one entry per running executor (command task), Mesos's shape. */
export async function monitorStatistics(agent: LocalAgent, frameworkName: (id: string) => string): Promise<Record<string, unknown>[]> {
  return Promise.all(agent.tasks().filter((t) => t.pid !== null).map(async (task) => ({
    executor_id: task.launch.taskId,
    executor_name: `Command Executor (Task: ${task.launch.taskId})`,
    framework_id: task.launch.frameworkId,
    source: task.launch.taskId,
    container_id: task.runId,
    framework_name: frameworkName(task.launch.frameworkId),
    statistics: await taskStatistics(task),
  })));
}

/** Mesos's command executor names itself after the first 40 characters of the command. */
function commandPreview(command: string): string {
  return command.length > 40 ? `${command.slice(0, 40)}...` : command;
}
