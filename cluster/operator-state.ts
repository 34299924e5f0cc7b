// The cluster as a Mesos master's SUBSCRIBE stream describes it (v1 operator API, JSON): the
// SUBSCRIBED event's full state, then each event applied to it. It is read back as a
// `/master/state` document, so the stream and the poll feed one and the same parser.
// An event that cannot be applied (wrong shape) changes nothing and says so: the model is never
// left half-changed.
import { ClusterError } from './errors.js';
import { isObject, list, objects, str, type Json } from './state-fields.js';

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
/** Statuses kept per task: the newest running one is what DNS reads. */
const MAX_STATUSES = 50;

const idOf = (value: unknown): string => (isObject(value) ? str(value['value']) : '');

interface TaskEntry {
  readonly task: Json;
  state: string;
  statuses: Json[];
}

export class OperatorStateModel {
  readonly #agents = new Map<string, Json>();
  readonly #frameworks = new Map<string, Json>();
  readonly #tasks = new Map<string, TaskEntry>();

  /** From SUBSCRIBED's `get_state`. */
  constructor(getState: unknown) {
    if (!isObject(getState)) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', 'SUBSCRIBED carries no get_state');
    for (const agent of objects(nested(getState, 'get_agents')['agents'])) this.#addAgent(agent);
    for (const framework of objects(nested(getState, 'get_frameworks')['frameworks'])) this.#addFramework(framework);
    for (const task of objects(nested(getState, 'get_tasks')['tasks'])) this.#addTask(task);
  }

  get taskCount(): number {
    return this.#tasks.size;
  }

  frameworkIds(): string[] {
    return [...this.#frameworks.keys()];
  }

  /** Applies one event; false when it is not one that changes the state (HEARTBEAT, unknown types). */
  apply(event: Json): boolean {
    const type = str(event['type']);
    const body = (field: string): Json => {
      const value = event[field];
      if (!isObject(value)) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', `${type} event without "${field}"`);
      return value;
    };
    switch (type) {
      case 'TASK_ADDED':
        return this.#addTask(nested(body('task_added'), 'task'));
      case 'TASK_UPDATED': {
        const update = body('task_updated');
        const status = nested(update, 'status');
        const entry = this.#tasks.get(idOf(status['task_id']));
        if (!entry) return false;
        const state = str(update['state'], str(status['state']));
        if (TERMINAL.has(state)) return this.#tasks.delete(idOf(status['task_id']));
        entry.state = state;
        entry.statuses = [...entry.statuses, status].slice(-MAX_STATUSES);
        return true;
      }
      case 'AGENT_ADDED':
        return this.#addAgent(nested(body('agent_added'), 'agent'));
      case 'AGENT_REMOVED':
        return this.#agents.delete(idOf(body('agent_removed')['agent_id']));
      case 'FRAMEWORK_ADDED':
        return this.#addFramework(nested(body('framework_added'), 'framework'));
      case 'FRAMEWORK_UPDATED':
        return this.#addFramework(nested(body('framework_updated'), 'framework'));
      case 'FRAMEWORK_REMOVED': {
        const id = idOf(nested(body('framework_removed'), 'framework_info')['id']);
        for (const [taskId, entry] of this.#tasks) if (idOf(entry.task['framework_id']) === id) this.#tasks.delete(taskId);
        return this.#frameworks.delete(id);
      }
      default:
        return false;
    }
  }

  /**
   * The model as a Mesos `/master/state` document (the fields the state parser reads). The v1 API
   * has no framework pids (Mesos-DNS's framework records need them): `frameworkPid` supplies them.
   */
  toMasterState(leaderPid: string, clusterName: string | null, frameworkPid: (id: string) => string | undefined = () => undefined): Json {
    const tasksOf = new Map<string, Json[]>();
    for (const entry of this.#tasks.values()) {
      const frameworkId = idOf(entry.task['framework_id']);
      const tasks = tasksOf.get(frameworkId) ?? [];
      tasks.push(taskJson(entry));
      tasksOf.set(frameworkId, tasks);
    }
    return {
      leader: leaderPid,
      pid: leaderPid,
      ...(clusterName ? { cluster: clusterName } : {}),
      slaves: [...this.#agents.values()].map(agentJson),
      frameworks: [...this.#frameworks.values()].map((framework) => {
        const info = nested(framework, 'framework_info');
        const id = idOf(info['id']);
        const pid = frameworkPid(id);
        return {
          id,
          name: str(info['name']),
          ...(pid ? { pid } : {}),
          hostname: str(info['hostname']),
          active: framework['active'] !== false,
          webui_url: str(info['webui_url']),
          tasks: tasksOf.get(id) ?? [],
        };
      }),
    };
  }

  #addAgent(agent: Json): boolean {
    const id = idOf(nested(agent, 'agent_info')['id']);
    if (!id) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', 'an agent without agent_info.id');
    this.#agents.set(id, agent);
    return true;
  }

  #addFramework(framework: Json): boolean {
    const id = idOf(nested(framework, 'framework_info')['id']);
    if (!id) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', 'a framework without framework_info.id');
    this.#frameworks.set(id, framework);
    return true;
  }

  #addTask(task: Json): boolean {
    const id = idOf(task['task_id']);
    if (!id) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', 'a task without task_id');
    const state = str(task['state']);
    if (TERMINAL.has(state)) return this.#tasks.delete(id);
    this.#tasks.set(id, { task, state, statuses: objects(task['statuses']) });
    return true;
  }
}

function nested(value: Json, field: string): Json {
  const inner = value[field];
  return isObject(inner) ? inner : {};
}

/** v1 Resource list -> the v0 map: scalars by name (Mesos's four always there), ranges as "[a-b, c-d]". */
function resourceMap(resources: unknown): Json {
  const out: Json = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const resource of objects(resources)) {
    const name = str(resource['name']);
    if (resource['type'] === 'SCALAR') out[name] = (Number(out[name]) || 0) + Number(nested(resource, 'scalar')['value'] ?? 0);
    else if (resource['type'] === 'RANGES') {
      const ranges = objects(nested(resource, 'ranges')['range']).map((r) => `${Number(r['begin'])}-${Number(r['end'])}`);
      const before = typeof out[name] === 'string' ? (out[name] as string).slice(1, -1).split(', ').filter(Boolean) : [];
      out[name] = `[${[...before, ...ranges].join(', ')}]`;
    }
  }
  return out;
}

function agentJson(agent: Json): Json {
  const info = nested(agent, 'agent_info');
  const attributes: Json = {};
  for (const attribute of objects(info['attributes'])) {
    const value =
      attribute['type'] === 'SCALAR'
        ? nested(attribute, 'scalar')['value']
        : attribute['type'] === 'TEXT'
          ? nested(attribute, 'text')['value']
          : undefined;
    if (value !== undefined) attributes[str(attribute['name'])] = value;
  }
  return {
    id: idOf(info['id']),
    hostname: str(info['hostname']),
    ...(typeof agent['pid'] === 'string' ? { pid: agent['pid'] } : {}),
    active: agent['active'] !== false,
    resources: resourceMap(agent['total_resources'] ?? info['resources']),
    attributes,
  };
}

function statusJson(status: Json): Json {
  const labels = nested(status, 'labels')['labels'];
  return {
    state: str(status['state']),
    timestamp: Number(status['timestamp'] ?? 0),
    ...(typeof status['healthy'] === 'boolean' ? { healthy: status['healthy'] } : {}),
    ...(Array.isArray(labels) ? { labels } : {}),
    ...(isObject(status['container_status']) ? { container_status: status['container_status'] } : {}),
  };
}

function taskJson(entry: TaskEntry): Json {
  const { task } = entry;
  return {
    id: idOf(task['task_id']),
    name: str(task['name']),
    framework_id: idOf(task['framework_id']),
    slave_id: idOf(task['agent_id']),
    state: entry.state,
    resources: resourceMap(task['resources']),
    statuses: entry.statuses.map(statusJson),
    labels: list(nested(task, 'labels')['labels']),
    ...(isObject(task['discovery']) ? { discovery: task['discovery'] } : {}),
  };
}
