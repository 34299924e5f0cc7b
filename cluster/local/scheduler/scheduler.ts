// A Marathon-style scheduler: keeps each app at its declared instances. It accepts offers that fit,
// restarts ended tasks with exponential backoff, scales down by killing the youngest tasks, replaces
// tasks when an app's definition changes (new ones first, old ones as new ones become ready), kills
// tasks whose health checks keep failing, and says why an app that does not fit is waiting.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AppDefinition } from '../apps/app-definition.js';
import { TaskHealth } from './health-checks.js';
import type { AppState, MarathonEvent, SchedulerTask } from './app-state.js';
import type { FrameworkScheduler, LocalMaster, Offer } from '../master/master.js';
import { subtractResources, type Resources } from '../master/resources.js';
import { buildTask, shortfalls, type Shortfall } from './task-builder.js';
import { TERMINAL_STATES, type TaskLaunch, type TaskStatusUpdate } from '../master/task-messages.js';
import { definitionJson } from '../apps/app-json.js';
import { Deployments, reached } from './deployments.js';

export type { AppState, MarathonEvent, SchedulerTask, TaskFailure } from './app-state.js';

export interface SchedulerOptions {
  readonly master: LocalMaster;
  readonly logger: Logger;
  readonly host: string;
  readonly webuiUrl: string;
  /** A task up this long resets its app's backoff. */
  readonly backoffResetMs?: number;
}

export class LocalScheduler extends EventEmitter<{ event: [MarathonEvent]; change: [] }> implements FrameworkScheduler {
  readonly name = 'marathon';
  webuiUrl: string;
  readonly frameworkId: string;
  readonly deployments = new Deployments((eventType, fields) => this.#emit(eventType, fields));
  readonly #options: SchedulerOptions;
  readonly #apps = new Map<string, AppState>();
  readonly #delayTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: SchedulerOptions) {
    super();
    this.#options = options;
    this.webuiUrl = options.webuiUrl;
    this.frameworkId = options.master.registerFramework(this);
  }

  apps(): readonly AppState[] {
    return [...this.#apps.values()].filter((a) => !a.removed).sort((a, b) => a.definition.id.localeCompare(b.definition.id));
  }

  /** Takes a new set of app definitions (from the app files): new apps start, removed apps stop, changed apps redeploy. */
  setApps(definitions: readonly AppDefinition[]): void {
    const wanted = new Map(definitions.map((d) => [d.id, d]));
    for (const [id, state] of this.#apps) {
      if (!wanted.has(id) && !state.removed) {
        state.removed = true;
        this.deployments.start(id, 'StopApplication', new Date().toISOString(), definitionJson(state.definition), null);
        this.#options.logger.info({ app: id }, 'app removed; stopping its tasks');
        this.#emit('app_terminated_event', { appId: id });
      }
    }
    for (const definition of definitions) {
      const state = this.#apps.get(definition.id);
      if (!state || state.removed) {
        this.#apps.set(definition.id, {
          definition,
          removed: false,
          tasks: state?.tasks ?? new Map(),
          delayUntil: 0,
          nextDelayMs: definition.backoffSeconds * 1000,
          waiting: null,
          rejected: {},
          lastTaskFailure: null,
        });
        this.deployments.start(definition.id, 'StartApplication', definition.version, null, definitionJson(definition));
        this.#options.logger.info({ app: definition.id, instances: definition.instances }, 'app added');
      } else if (state.definition.version !== definition.version) {
        const scaleOnly = state.definition.instances !== definition.instances && sameExceptInstances(state.definition, definition);
        this.deployments.start(
          definition.id,
          scaleOnly ? 'ScaleApplication' : 'RestartApplication',
          definition.version,
          definitionJson(state.definition),
          definitionJson(definition),
        );
        this.#options.logger.info({ app: definition.id, instances: definition.instances }, scaleOnly ? 'app scaled' : 'app changed; replacing its tasks');
        // Scaling keeps the running tasks: they are of the same definition in everything but the count.
        if (scaleOnly) for (const task of state.tasks.values()) if (task.version === state.definition.version) task.version = definition.version;
        state.definition = definition;
        state.delayUntil = 0;
        state.nextDelayMs = definition.backoffSeconds * 1000;
      }
    }
    this.#reconcile();
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#delayTimers) clearTimeout(timer);
    for (const app of this.#apps.values()) for (const task of app.tasks.values()) task.health?.stop();
  }

  resourceOffers(offers: readonly Offer[]): void {
    const launchedNow = new Map<string, number>();
    const rejected = new Map<string, Partial<Record<Shortfall, number>>>();
    for (const offer of offers) {
      if (this.#closed) {
        this.#options.master.decline(offer.id);
        continue;
      }
      let remaining: Resources = offer.resources;
      const launches: Omit<TaskLaunch, 'agentId'>[] = [];
      const built: { app: AppState; ports: readonly number[]; launch: Omit<TaskLaunch, 'agentId'> }[] = [];
      for (const app of this.apps()) {
        while (this.missing(app) - (launchedNow.get(app.definition.id) ?? 0) > 0 && app.delayUntil <= Date.now()) {
          const missing = shortfalls(app.definition, remaining);
          const task = missing.length === 0 ? buildTask(app.definition, remaining, this.frameworkId, this.#options.host) : null;
          if (!task) {
            const counts = rejected.get(app.definition.id) ?? {};
            for (const reason of missing.length ? missing : (['ports'] as Shortfall[])) counts[reason] = (counts[reason] ?? 0) + 1;
            rejected.set(app.definition.id, counts);
            break;
          }
          remaining = subtractResources(remaining, task.launch.resources);
          launches.push(task.launch);
          built.push({ app, ports: task.ports, launch: task.launch });
          launchedNow.set(app.definition.id, (launchedNow.get(app.definition.id) ?? 0) + 1);
        }
      }
      if (launches.length === 0) {
        this.#options.master.decline(offer.id);
        continue;
      }
      for (const { app, ports, launch } of built) {
        app.tasks.set(launch.taskId, {
          id: launch.taskId,
          appId: app.definition.id,
          version: app.definition.version,
          launch: { ...launch, agentId: offer.agentId },
          host: this.#options.host,
          ports,
          stagedAt: Date.now(),
          startedAt: null,
          state: 'TASK_STAGING',
          killRequested: false,
          health: null,
        });
      }
      this.#options.master.accept(offer.id, launches);
      for (const { app, ports, launch } of built)
        this.#options.logger.info({ app: app.definition.id, task: launch.taskId, agent: offer.agentId, ports }, 'launching task');
    }
    this.#explainWaiting(rejected, launchedNow);
  }

  statusUpdate(update: TaskStatusUpdate): void {
    if (this.#closed) return;
    const app = [...this.#apps.values()].find((a) => a.tasks.has(update.taskId));
    const task = app?.tasks.get(update.taskId);
    if (!app || !task) return;
    task.state = update.state;
    this.#emit('status_update_event', {
      slaveId: update.agentId,
      taskId: task.id,
      taskStatus: update.state,
      message: update.message ?? '',
      appId: app.definition.id,
      host: task.host,
      ipAddresses: update.ips.map((ip) => ({ ipAddress: ip, protocol: 'IPv4' })),
      ports: task.ports,
      version: task.version,
    });
    if (update.state === 'TASK_RUNNING' && task.startedAt === null) {
      task.startedAt = Date.now();
      this.#options.logger.info({ app: app.definition.id, task: task.id, address: `${task.host}:${task.ports.join(',') || '-'}` }, 'task running');
      this.#watchHealth(app, task);
      this.#scheduleBackoffReset(app, task);
    }
    if (TERMINAL_STATES.has(update.state)) {
      task.health?.stop();
      app.tasks.delete(task.id);
      if (!task.killRequested) this.#failed(app, task, update);
    }
    this.#reconcile();
  }

  #failed(app: AppState, task: SchedulerTask, update: TaskStatusUpdate): void {
    app.lastTaskFailure = {
      taskId: task.id,
      state: update.state,
      message: update.message ?? '',
      timestamp: new Date(update.timestamp * 1000).toISOString(),
      version: task.version,
      host: task.host,
    };
    const delay = app.nextDelayMs;
    app.delayUntil = Date.now() + delay;
    app.nextDelayMs = Math.min(delay * app.definition.backoffFactor, app.definition.maxLaunchDelaySeconds * 1000);
    this.#options.logger.warn(
      { app: app.definition.id, task: task.id, state: update.state, message: update.message, restartInMs: Math.round(delay) },
      'task ended unexpectedly; restarting after backoff',
    );
    const timer = setTimeout(() => {
      this.#delayTimers.delete(timer);
      this.#reconcile();
    }, delay + 5);
    timer.unref();
    this.#delayTimers.add(timer);
  }

  #scheduleBackoffReset(app: AppState, task: SchedulerTask): void {
    const timer = setTimeout(() => {
      this.#delayTimers.delete(timer);
      if (app.tasks.get(task.id)?.state === 'TASK_RUNNING' && (task.health?.healthy ?? true)) app.nextDelayMs = app.definition.backoffSeconds * 1000;
    }, this.#options.backoffResetMs ?? 10_000);
    timer.unref();
    this.#delayTimers.add(timer);
  }

  #watchHealth(app: AppState, task: SchedulerTask): void {
    const checks = app.definition.healthChecks;
    if (checks.length === 0) return;
    const sandbox = this.#options.master.agents().find((a) => a.id === task.launch.agentId)?.task(task.id)?.sandbox ?? null;
    task.health = new TaskHealth(
      { taskId: task.id, host: task.host, ports: task.ports, sandbox, env: task.launch.env, runningSince: task.startedAt ?? Date.now() },
      checks,
      {
        changed: (alive, result) => {
          this.#emit('health_status_changed_event', {
            appId: app.definition.id,
            taskId: task.id,
            instanceId: task.id,
            version: task.version,
            alive,
          });
          this.#options.logger.info(
            { app: app.definition.id, task: task.id, alive, cause: result.lastFailureCause },
            alive ? 'task healthy' : 'task unhealthy',
          );
          this.emit('change');
          this.#reconcile();
        },
        failed: (result) => {
          if (task.killRequested) return;
          this.#options.logger.warn(
            { app: app.definition.id, task: task.id, failures: result.consecutiveFailures, cause: result.lastFailureCause },
            'health checks failed too often; killing the task',
          );
          // The task stays the app's until its TASK_KILLED arrives, as in Marathon: its TASK_KILLING and
          // TASK_KILLED reach the event stream, and the snapshot keeps it (unhealthy) while it dies.
          task.health?.stop();
          this.#failed(app, task, {
            taskId: task.id,
            agentId: task.launch.agentId,
            state: 'TASK_KILLED',
            timestamp: Date.now() / 1000,
            source: 'SOURCE_MASTER',
            ips: [],
            message: `health check failed: ${result.lastFailureCause}`,
          });
          this.#kill(app, task, 'health checks failed');
          this.#reconcile();
        },
      },
    );
    task.health.start();
  }

  /** Kills tasks of an app; the scheduler replaces them unless the app scales down to match. */
  killTasks(appId: string, taskIds: readonly string[], options: { scale: boolean }): SchedulerTask[] {
    const app = this.#apps.get(appId);
    const tasks = taskIds.map((id) => app?.tasks.get(id)).filter((t): t is SchedulerTask => t !== undefined && !t.killRequested);
    if (!app) return [];
    // With scale, the app's file is written with fewer instances next, and these go first.
    if (options.scale) for (const task of tasks) task.killFirst = true;
    else for (const task of tasks) this.#kill(app, task, 'killed through the API');
    this.#reconcile();
    return tasks;
  }

  /** Instances still to launch (current definition, not yet staged). */
  missing(app: AppState): number {
    if (app.removed || (app.definition.cmd === null && app.definition.args === null)) return 0;
    const current = [...app.tasks.values()].filter((t) => t.version === app.definition.version && !t.killRequested);
    return Math.max(0, app.definition.instances - current.length);
  }

  /** Kills what is no longer wanted and asks for offers when something is missing. */
  #reconcile(): void {
    if (this.#closed) return;
    for (const [id, app] of this.#apps) {
      const live = [...app.tasks.values()].filter((t) => !t.killRequested);
      if (app.removed) {
        for (const task of live) this.#kill(app, task, 'app removed');
        if (app.tasks.size === 0) this.#apps.delete(id);
        continue;
      }
      // Oldest first, but tasks marked to be killed first last: scaling down kills from the end.
      const current = live
        .filter((t) => t.version === app.definition.version)
        .sort((a, b) => Number(a.killFirst ?? false) - Number(b.killFirst ?? false) || a.stagedAt - b.stagedAt);
      const old = live.filter((t) => t.version !== app.definition.version).sort((a, b) => a.stagedAt - b.stagedAt);
      for (const task of current.slice(app.definition.instances).reverse()) this.#kill(app, task, 'scaled down');
      const ready = current.filter((t) => t.state === 'TASK_RUNNING' && (t.health === null || t.health.healthy)).length;
      const keepOld = Math.max(0, app.definition.instances - ready);
      for (const task of old.slice(0, Math.max(0, old.length - keepOld))) this.#kill(app, task, 'replaced by the new definition');
    }
    if ([...this.#apps.values()].some((app) => this.missing(app) > 0)) this.#options.master.reviveOffers();
    this.deployments.settle((d) => reached(this.#apps.get(d.appId), d));
    this.emit('change');
  }

  #kill(app: AppState, task: SchedulerTask, why: string): void {
    if (task.killRequested) return;
    task.killRequested = true;
    task.health?.stop();
    this.#options.logger.info({ app: app.definition.id, task: task.id, why }, 'killing task');
    this.#options.master.killTask(task.id);
  }

  #explainWaiting(rejected: Map<string, Partial<Record<Shortfall, number>>>, launched: Map<string, number>): void {
    for (const app of this.apps()) {
      const missing = this.missing(app);
      let waiting: string | null = null;
      if (missing > 0 && app.delayUntil > Date.now())
        waiting = `restart delayed ${Math.ceil((app.delayUntil - Date.now()) / 1000)} s after a failure (backoff)`;
      else if (missing > 0 && !launched.get(app.definition.id)) {
        const counts = rejected.get(app.definition.id) ?? {};
        const lacking = Object.keys(counts) as Shortfall[];
        const { cpus, mem, disk, portDefinitions } = app.definition;
        const needs = `cpus ${cpus}, mem ${mem} MB, disk ${disk} MB, ${portDefinitions.length} port(s)`;
        waiting = lacking.length ? `no agent has enough ${lacking.join(', ')} (needs ${needs} per task)` : null;
        app.rejected = counts;
        // A replacement that cannot fit while old tasks hold the resources: make room one old task at a time.
        const old = [...app.tasks.values()]
          .filter((t) => t.version !== app.definition.version && !t.killRequested)
          .sort((a, b) => a.stagedAt - b.stagedAt);
        if (waiting && old[0] && ![...app.tasks.values()].some((t) => t.killRequested))
          this.#kill(app, old[0], 'making room for the new definition');
      }
      if (waiting !== app.waiting) {
        if (waiting && !waiting.startsWith('restart delayed'))
          this.#options.logger.warn({ app: app.definition.id, missing, reason: waiting }, 'app waiting for resources');
        app.waiting = waiting;
        this.emit('change');
      }
    }
  }

  #emit(eventType: string, fields: Record<string, unknown>): void {
    this.emit('event', { eventType, timestamp: new Date().toISOString(), ...fields });
  }
}

function sameExceptInstances(a: AppDefinition, b: AppDefinition): boolean {
  const strip = ({ instances: _i, version: _v, source: _s, ...rest }: AppDefinition): string => JSON.stringify(rest);
  return strip(a) === strip(b);
}
