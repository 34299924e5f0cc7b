// Per-task CPU and memory as Prometheus series on `/metrics`, read from each agent's
// `/monitor/statistics` (so any Mesos agent will do) when `/metrics` is scraped: one request per agent
// with running tasks, at most once per MIN_INTERVAL_MS however often it is scraped, agents asked a
// few at a time. The series are the tasks running at the last collection: a task that ended is gone
// from the next one. Past MAX_TASKS tasks the rest are counted, not exported.
import type { Registry } from 'prom-client';
import type { Snapshot, SnapshotView, Task } from '../../cluster/index.js';
import { agentJson, agentOf, type Json } from './agent-client.js';

export const TASK_CPU_METRIC = 'gatehouse_task_cpu_seconds_total';
export const TASK_MEMORY_METRIC = 'gatehouse_task_memory_bytes';
export const TASK_CPU_LIMIT_METRIC = 'gatehouse_task_cpus_limit';
export const TASK_MEMORY_LIMIT_METRIC = 'gatehouse_task_memory_limit_bytes';
export const TASK_DROPPED_METRIC = 'gatehouse_task_series_dropped_total';
export const TASK_AGENT_FAILURES_METRIC = 'gatehouse_task_statistics_failures_total';

const MIN_INTERVAL_MS = 5000;
const LATER_METRIC_MAX_AGE_MS = 60_000;
const AGENT_TIMEOUT_MS = 2000;
const AGENTS_AT_ONCE = 8;
export const MAX_TASKS = 5000;

interface TaskUse {
  readonly labels: { readonly task_id: string; readonly task_name: string; readonly framework: string; readonly agent_id: string };
  readonly user: number;
  readonly system: number;
  readonly memory: number;
  readonly cpusLimit: number | null;
  readonly memLimit: number | null;
}

type MetricValue = { value: number; labels: Record<string, string> };

export interface TaskSeriesOptions {
  readonly store: SnapshotView;
  readonly registry: Registry;
  readonly maxTasks?: number;
  /** Scrapes closer together than this share one collection. */
  readonly minIntervalMs?: number;
}

export class TaskSeries {
  readonly #store: SnapshotView;
  readonly #maxTasks: number;
  readonly #minIntervalMs: number;
  #last: { at: number; uses: Promise<TaskUse[]> } | null = null;
  #dropped = 0;
  #failures = 0;

  constructor(options: TaskSeriesOptions) {
    this.#store = options.store;
    this.#maxTasks = options.maxTasks ?? MAX_TASKS;
    this.#minIntervalMs = options.minIntervalMs ?? MIN_INTERVAL_MS;
    // prom-client reads the metrics in the order registered: the first one starts a collection when
    // the last is old, the others read the one it started, so a scrape reads the agents at most once.
    const each = (pick: (use: TaskUse) => MetricValue[], first = false) => async () => (await this.#collect(first)).flatMap(pick);
    register(options.registry, TASK_CPU_METRIC, 'CPU time of a running task, by mode (user, system)', 'counter', each((u) => [
      { value: u.user, labels: { ...u.labels, mode: 'user' } },
      { value: u.system, labels: { ...u.labels, mode: 'system' } },
    ], true));
    register(options.registry, TASK_MEMORY_METRIC, 'Memory a running task uses (its cgroup, else its processes\' resident memory)', 'gauge', each((u) => [
      { value: u.memory, labels: { ...u.labels } },
    ]));
    const limit = (pick: (use: TaskUse) => number | null) => each((u) => (pick(u) === null ? [] : [{ value: pick(u)!, labels: { ...u.labels } }]));
    register(options.registry, TASK_CPU_LIMIT_METRIC, 'CPUs a running task may use', 'gauge', limit((u) => u.cpusLimit));
    register(options.registry, TASK_MEMORY_LIMIT_METRIC, 'Memory a running task may use', 'gauge', limit((u) => u.memLimit));
    register(options.registry, TASK_DROPPED_METRIC, `Running tasks left out of the task series (more than ${this.#maxTasks})`, 'counter', async () => {
      await this.#collect(false);
      return [{ value: this.#dropped, labels: {} }];
    });
    register(options.registry, TASK_AGENT_FAILURES_METRIC, 'Agents whose /monitor/statistics could not be read for the task series', 'counter', async () => {
      await this.#collect(false);
      return [{ value: this.#failures, labels: {} }];
    });
  }

  /** The last collection while it is recent (or for a scrape's later metrics), else a new one. */
  #collect(first: boolean): Promise<TaskUse[]> {
    const age = this.#last ? Date.now() - this.#last.at : Infinity;
    // A later metric read alone (getSingleMetric) must not serve a collection from long ago either.
    if (this.#last && (age < this.#minIntervalMs || (!first && age < LATER_METRIC_MAX_AGE_MS))) return this.#last.uses;
    const uses = this.#read(this.#store.current).catch(() => [] as TaskUse[]);
    this.#last = { at: Date.now(), uses };
    return uses;
  }

  async #read(snapshot: Snapshot | null): Promise<TaskUse[]> {
    if (!snapshot) return [];
    const running = new Map<string, { task: Task; framework: string }>();
    for (const framework of snapshot.frameworks) {
      for (const task of framework.tasks) {
        if (task.state === 'TASK_RUNNING') running.set(`${task.frameworkId}\0${task.id}`, { task, framework: framework.name });
      }
    }
    const agentIds = [...new Set([...running.values()].map((r) => r.task.agentId))];
    const uses: TaskUse[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < agentIds.length) {
        const agentId = agentIds[next++]!;
        try {
          const { url } = agentOf(snapshot, agentId);
          const entries = (await agentJson(url, '/monitor/statistics', { timeoutMs: AGENT_TIMEOUT_MS })) as Json[];
          for (const entry of Array.isArray(entries) ? entries : []) {
            // A command task's executor id is its task id, which is how the snapshot knows it.
            const found = running.get(`${entry['framework_id']}\0${entry['executor_id']}`);
            const stats = entry['statistics'] as Json | undefined;
            if (found && stats && found.task.agentId === agentId) uses.push(taskUse(found.task, found.framework, stats));
          }
        } catch {
          this.#failures++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(AGENTS_AT_ONCE, agentIds.length) }, worker));
    uses.sort((a, b) => a.labels.task_id.localeCompare(b.labels.task_id));
    if (uses.length > this.#maxTasks) this.#dropped += uses.length - this.#maxTasks;
    return uses.slice(0, this.#maxTasks);
  }
}

function taskUse(task: Task, framework: string, stats: Json): TaskUse {
  const num = (key: string): number | null => (typeof stats[key] === 'number' && Number.isFinite(stats[key]) ? stats[key] : null);
  return {
    labels: { task_id: task.id, task_name: task.name, framework, agent_id: task.agentId },
    user: num('cpus_user_time_secs') ?? 0,
    system: num('cpus_system_time_secs') ?? 0,
    memory: num('mem_total_bytes') ?? num('mem_rss_bytes') ?? 0,
    cpusLimit: num('cpus_limit'),
    memLimit: num('mem_limit_bytes'),
  };
}

/**
 * A metric whose values come from a function, printed by prom-client's registry as its own are. Its
 * aggregator is `first`: only the primary process collects it, and workers must not add to it.
 */
function register(registry: Registry, name: string, help: string, type: 'counter' | 'gauge', values: () => Promise<MetricValue[]>): void {
  const get = async () => ({ name, help, type, aggregator: 'first', values: await values() });
  const metric = { name, help, type, aggregator: 'first', reset: () => undefined, get };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}
