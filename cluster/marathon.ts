// Marathon's view of the same tasks: app ids, app labels (DCOS_SERVICE_*) and health-check results,
// from `GET /v2/apps?embed=apps.tasks`, merged into a Mesos snapshot.
import type { App, SnapshotData, Task, TaskHealth } from './snapshot.js';
import { deepFreeze } from '../core/index.js';
import { ClusterError } from './errors.js';
import { isObject, num, objects, str } from './state-fields.js';

export interface MarathonTaskInfo {
  readonly appId: string;
  readonly health: TaskHealth;
}

export interface MarathonView {
  readonly apps: readonly App[];
  readonly tasks: ReadonlyMap<string, MarathonTaskInfo>;
}

export function parseMarathonApps(doc: unknown): MarathonView {
  if (!isObject(doc) || !Array.isArray(doc['apps'])) throw new ClusterError('ERR_CLUSTER_STATE_INVALID', 'not a Marathon /v2/apps answer (no "apps" list)');
  const apps: App[] = [];
  const tasks = new Map<string, MarathonTaskInfo>();
  for (const raw of objects(doc['apps'])) {
    const id = str(raw['id']);
    if (!id) continue;
    const labels: Record<string, string> = {};
    if (isObject(raw['labels'])) for (const [k, v] of Object.entries(raw['labels'])) if (typeof v === 'string') labels[k] = v;
    const appTasks = objects(raw['tasks']);
    for (const task of appTasks) {
      const taskId = str(task['id']);
      if (!taskId) continue;
      const results = objects(task['healthCheckResults']);
      const health: TaskHealth = results.some((r) => r['alive'] === false)
        ? 'unhealthy'
        : results.length > 0 && results.every((r) => r['alive'] === true)
          ? 'healthy'
          : 'unknown';
      tasks.set(taskId, { appId: id, health });
    }
    apps.push({
      id,
      labels,
      instances: num(raw['instances']),
      portDefinitions: objects(raw['portDefinitions']).map((p) => ({
        port: num(p['port']),
        name: typeof p['name'] === 'string' ? p['name'] : null,
        protocol: str(p['protocol'], 'tcp'),
      })),
      taskIds: appTasks.map((t) => str(t['id'])).filter(Boolean),
    });
  }
  return { apps, tasks };
}

/** A new snapshot with Marathon's app ids and health on the tasks Marathon knows. */
export function withMarathon(data: SnapshotData, view: MarathonView): SnapshotData {
  const mergeTask = (task: Task): Task => {
    const info = view.tasks.get(task.id);
    if (!info) return task;
    // Marathon's checks are the ones users configure; Mesos-level health only when Marathon has none.
    return { ...task, appId: info.appId, health: info.health === 'unknown' ? task.health : info.health };
  };
  return deepFreeze({
    ...data,
    frameworks: data.frameworks.map((f) => ({ ...f, tasks: f.tasks.map(mergeTask) })),
    apps: view.apps,
  });
}
