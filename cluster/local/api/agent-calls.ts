// The agent's v1 operator API (`POST /api/v1`): GET_CONTAINERS, LIST_FILES and READ_FILE answered here;
// the calls that run commands in tasks (agent-exec.ts) are checked here too. Calls arrive decoded into
// Mesos's JSON shape (cluster/agent-call.ts: enums by name, ids as `{value}`, bytes as Buffers) from
// JSON or protobuf alike, so each check and answer is written once.
import type { LocalAgent } from '../agent/agent.js';
import { FilesError, type FileInfo, type SandboxFiles } from '../agent/sandbox-files.js';
import { taskStatistics } from '../agent/task-statistics.js';
import { LocalClusterError } from '../errors.js';

/** READ_FILE answers at most this much per call; the caller asks again from offset + length. */
export const MAX_READ_FILE_BYTES = 1024 * 1024;

/** A container id with its parent, as the calls name nested containers. */
export interface ContainerIdJson {
  readonly value: string;
  readonly parent?: ContainerIdJson;
}

/** The calls about nested containers: their sections are checked field by field in agent-exec.ts. */
export const CONTAINER_CALLS = [
  'LAUNCH_NESTED_CONTAINER_SESSION',
  'ATTACH_CONTAINER_INPUT',
  'WAIT_CONTAINER',
  'WAIT_NESTED_CONTAINER',
  'KILL_CONTAINER',
  'KILL_NESTED_CONTAINER',
] as const;
export type ContainerCallType = (typeof CONTAINER_CALLS)[number];

export type ContainerCall = { readonly type: ContainerCallType; readonly [section: string]: unknown };
export type FilesCall = Exclude<AgentCall, ContainerCall>;

export function isContainerCall(call: AgentCall): call is ContainerCall {
  return (CONTAINER_CALLS as readonly string[]).includes(call.type);
}

export type AgentCall =
  | ContainerCall
  | { readonly type: 'GET_CONTAINERS'; readonly get_containers?: { readonly show_nested?: boolean; readonly show_standalone?: boolean } }
  | { readonly type: 'LIST_FILES'; readonly list_files: { readonly path: string } }
  | { readonly type: 'READ_FILE'; readonly read_file: { readonly path: string; readonly offset: number; readonly length?: number } };

/** An answer before encoding; `bytes` fields are Buffers, each codec writes them its own way. */
export type AgentResponse = Record<string, unknown> & { readonly type: string };

export class AgentCallError extends LocalClusterError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('ERR_CLUSTER_LOCAL_AGENT_CALL', message);
    this.status = status;
  }
}

/** Checks a decoded body is a call this agent answers; the error names the field that is wrong. */
export function validateCall(raw: unknown): AgentCall {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AgentCallError(400, 'Failed to validate agent::Call: expecting a JSON object');
  const call = raw as Record<string, unknown>;
  const type = call['type'];
  if (typeof type !== 'string') throw new AgentCallError(400, "Failed to validate agent::Call: Expecting 'type' to be present");
  const section = (name: string): Record<string, unknown> => {
    const value = call[name];
    if (typeof value !== 'object' || value === null) throw new AgentCallError(400, `Failed to validate agent::Call: Expecting '${name}' to be present`);
    return value as Record<string, unknown>;
  };
  const path = (s: Record<string, unknown>, name: string): string => {
    if (typeof s['path'] !== 'string') throw new AgentCallError(400, `Failed to validate agent::Call: Expecting '${name}.path' to be a string`);
    return s['path'];
  };
  const count = (s: Record<string, unknown>, field: string, required: boolean): number | undefined => {
    const value = s[field];
    if (value === undefined && !required) return undefined;
    // uint64 may arrive as a JSON string (proto3 JSON) or a number.
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new AgentCallError(400, `Failed to validate agent::Call: '${field}' must be a non-negative integer`);
    return n;
  };
  if ((CONTAINER_CALLS as readonly string[]).includes(type)) return call as AgentCall;
  switch (type) {
    case 'GET_CONTAINERS':
      return { type, get_containers: (call['get_containers'] as { show_nested?: boolean } | undefined) ?? {} };
    case 'LIST_FILES': {
      const s = section('list_files');
      return { type, list_files: { path: path(s, 'list_files') } };
    }
    case 'READ_FILE': {
      const s = section('read_file');
      const length = count(s, 'length', false);
      return { type, read_file: { path: path(s, 'read_file'), offset: count(s, 'offset', true)!, ...(length === undefined ? {} : { length }) } };
    }
    default:
      throw new AgentCallError(
        400,
        `Failed to validate agent::Call: this agent does not answer ${JSON.stringify(type)} ` +
          `(it answers GET_CONTAINERS, LIST_FILES, READ_FILE, ${CONTAINER_CALLS.join(', ')})`,
      );
  }
}

export async function answerCall(call: FilesCall, agent: LocalAgent, files: SandboxFiles): Promise<AgentResponse> {
  try {
    switch (call.type) {
      case 'GET_CONTAINERS':
        return { type: 'GET_CONTAINERS', get_containers: { containers: await containers(agent) } };
      case 'LIST_FILES':
        return { type: 'LIST_FILES', list_files: { file_infos: (await files.browse(call.list_files.path)).map(fileInfoJson) } };
      case 'READ_FILE': {
        const { path, offset, length } = call.read_file;
        const { size, bytes } = await files.readBytes(path, offset, length ?? MAX_READ_FILE_BYTES, MAX_READ_FILE_BYTES);
        return { type: 'READ_FILE', read_file: { size, data: bytes } };
      }
    }
  } catch (error) {
    if (error instanceof FilesError) throw new AgentCallError(error.status, error.message);
    throw error;
  }
}

async function containers(agent: LocalAgent): Promise<Record<string, unknown>[]> {
  return Promise.all(agent.tasks().map(async (task) => ({
    framework_id: { value: task.launch.frameworkId },
    executor_id: { value: task.launch.taskId },
    executor_name: `Command Executor (Task: ${task.launch.taskId})`,
    container_id: { value: task.runId },
    container_status: {
      container_id: { value: task.runId },
      ...(task.pid !== null ? { executor_pid: task.pid } : {}),
      network_infos: [{ ip_addresses: [{ protocol: agent.ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: agent.ip }] }],
    },
    resource_statistics: await taskStatistics(task),
  })));
}

function fileInfoJson(info: FileInfo): Record<string, unknown> {
  return { path: info.path, nlink: info.nlink, size: info.size, mtime: { nanoseconds: info.mtime * 1e9 }, mode: info.modeBits, uid: info.uid, gid: info.gid };
}
