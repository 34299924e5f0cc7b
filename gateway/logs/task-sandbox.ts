// Where a task's log file is: the task's agent from the snapshot, then the agent's own `/state`
// (Mesos's agent JSON) for the executor that runs it, its sandbox directory and container. Then the
// file is read through the agent's files API (`/files/read`), chunk by chunk, so this works against
// any Mesos agent, not only the embedded one.
import type { Snapshot, SnapshotView, Task } from '../../cluster/index.js';
import { AgentRequestFailed, agentJson as fetchAgentJson } from '../agent-http.js';
import { LogRequestError, type LogTarget } from './log-request.js';

/** Mesos's `/files/read` answers at most 16 pages; asking for that much is one round trip per chunk. */
export const READ_CHUNK = 64 * 1024;
const AGENT_TIMEOUT_MS = 5000;

export interface SandboxFile {
  readonly agent: URL;
  /** The file's path as the agent's files API knows it (the run's real directory + the file). */
  readonly path: string;
  /** dcos-log's entry fields for this file. */
  readonly fields: Readonly<Record<'AGENT_ID' | 'FRAMEWORK_ID' | 'EXECUTOR_ID' | 'CONTAINER_ID' | 'FILE', string>>;
  /** Whether the task (or the run's executor) is still in the cluster's current snapshot, alive. */
  running(): boolean;
}

type Json = Record<string, any>;

export async function locateSandboxFile(view: SnapshotView, target: Extract<LogTarget, { kind: 'task' | 'run' }>): Promise<SandboxFile> {
  const snapshot = view.current;
  if (!snapshot) throw new LogRequestError('ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'no cluster snapshot yet: the task cannot be found');
  if (target.kind === 'task') {
    const task = findTask(snapshot, target.taskId, target.agentId);
    const agent = agentUrl(snapshot, task.agentId);
    const state = await agentJson(agent, '/state');
    const run = runOf(state, task);
    if (!run)
      throw new LogRequestError(
        'ERR_GATEWAY_LOG_NOT_FOUND',
        `task ${task.id} is not on agent ${task.agentId} (its executor is gone from the agent's state)`,
      );
    return sandboxFile(
      view,
      agent,
      `${run.directory}${run.nested ? `/tasks/${task.id}` : ''}/${target.file}`,
      {
        AGENT_ID: task.agentId,
        FRAMEWORK_ID: task.frameworkId,
        EXECUTOR_ID: run.executorId,
        CONTAINER_ID: run.containerId,
        FILE: target.file,
      },
      task.id,
    );
  }
  const agent = agentUrl(snapshot, target.agentId);
  const state = await agentJson(agent, '/state');
  const workDir = String((state['flags'] as Json | undefined)?.['work_dir'] ?? '');
  if (!workDir) throw new LogRequestError('ERR_GATEWAY_UPSTREAM_FAILED', `agent ${target.agentId} does not say its work_dir in /state`);
  const directory = `${workDir}/slaves/${target.agentId}/frameworks/${target.frameworkId}/executors/${target.executorId}/runs/${target.containerId}`;
  return sandboxFile(
    view,
    agent,
    `${directory}${target.taskPath ? `/tasks/${target.taskPath}` : ''}/${target.file}`,
    {
      AGENT_ID: target.agentId,
      FRAMEWORK_ID: target.frameworkId,
      EXECUTOR_ID: target.executorId,
      CONTAINER_ID: target.containerId,
      FILE: target.file,
    },
    target.taskPath ?? target.executorId,
  );
}

function sandboxFile(view: SnapshotView, agent: URL, path: string, fields: SandboxFile['fields'], taskId: string): SandboxFile {
  return {
    agent,
    path,
    fields,
    running: () => {
      const task = view.current?.frameworks.flatMap((f) => f.tasks).find((t) => t.id === taskId);
      return Boolean(task && ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING'].includes(task.state));
    },
  };
}

function findTask(snapshot: Snapshot, taskId: string, agentId: string | null): Task {
  for (const framework of snapshot.frameworks) {
    for (const task of framework.tasks) if (task.id === taskId && (agentId === null || task.agentId === agentId)) return task;
  }
  throw new LogRequestError(
    'ERR_GATEWAY_LOG_NOT_FOUND',
    `task ${taskId} not found${agentId ? ` on agent ${agentId}` : ''} (no such task in the cluster's current state)`,
  );
}

function agentUrl(snapshot: Snapshot, agentId: string): URL {
  const agent = snapshot.agents.find((a) => a.id === agentId);
  const ip = agent?.ips[0];
  if (!agent || !agent.pid || !ip) throw new LogRequestError('ERR_GATEWAY_LOG_NOT_FOUND', `agent ${agentId} unknown`);
  return new URL(`http://${ip.includes(':') ? `[${ip}]` : ip}:${agent.pid.port}`);
}

/** The executor running a task in the agent's state: live executors first, then completed ones. */
function runOf(state: Json, task: Task): { directory: string; containerId: string; executorId: string; nested: boolean } | null {
  const framework = (state['frameworks'] as Json[] | undefined)?.find((f) => f['id'] === task.frameworkId);
  if (!framework) return null;
  for (const executor of [...((framework['executors'] as Json[] | undefined) ?? []), ...((framework['completed_executors'] as Json[] | undefined) ?? [])]) {
    const tasks = [...((executor['tasks'] as Json[] | undefined) ?? []), ...((executor['completed_tasks'] as Json[] | undefined) ?? [])];
    const holds = executor['id'] === task.id || tasks.some((t) => t['id'] === task.id);
    if (!holds || typeof executor['directory'] !== 'string' || !executor['directory']) continue;
    // A task under another executor (a pod, a custom executor) has its own sandbox below the executor's.
    return {
      directory: executor['directory'],
      containerId: String(executor['container'] ?? ''),
      executorId: String(executor['id']),
      nested: executor['id'] !== task.id,
    };
  }
  return null;
}

async function agentJson(agent: URL, path: string): Promise<Json> {
  return (await askAgent(new URL(path, agent))) as Json;
}

/** The agent's JSON (null on 404 when `optional`); a failure becomes this service's 502. */
async function askAgent(url: URL, options: { signal?: AbortSignal | undefined; optional?: boolean } = {}): Promise<unknown> {
  try {
    return await fetchAgentJson(url, { timeoutMs: AGENT_TIMEOUT_MS, ...options });
  } catch (error) {
    if (error instanceof AgentRequestFailed) throw new LogRequestError('ERR_GATEWAY_UPSTREAM_FAILED', error.message);
    throw error;
  }
}

/**
 * One `/files/read` chunk as bytes with the file position of its first byte; null when the file is
 * not there (404). The files API answers text: a chunk that starts inside a character comes back
 * with one U+FFFD per stray byte, which are counted as one byte each so positions stay exact.
 */
export async function readChunk(file: SandboxFile, offset: number, length: number, signal?: AbortSignal): Promise<{ bytes: Buffer; at: number } | null> {
  const body = await filesRead(file, offset, length, signal);
  if (!body) return null;
  const text = typeof body.data === 'string' ? body.data : '';
  let stray = 0;
  while (stray < 3 && text.charCodeAt(stray) === 0xfffd) stray++;
  return { bytes: Buffer.from(stray ? text.slice(stray) : text, 'utf8'), at: offset + stray };
}

/** The file's size (`offset=-1`), or null when it is gone. */
export async function fileSize(file: SandboxFile, signal?: AbortSignal): Promise<number | null> {
  const body = await filesRead(file, -1, -1, signal);
  return body && typeof body.offset === 'number' ? body.offset : null;
}

async function filesRead(file: SandboxFile, offset: number, length: number, signal?: AbortSignal): Promise<{ data?: unknown; offset?: unknown } | null> {
  const url = new URL('/files/read', file.agent);
  url.searchParams.set('path', file.path);
  url.searchParams.set('offset', String(offset));
  url.searchParams.set('length', String(length));
  return (await askAgent(url, { signal, optional: true })) as { data?: unknown; offset?: unknown } | null;
}
