// The master: agents register with their resources; free resources are offered to the framework (the
// scheduler), which accepts them with tasks or declines them; offers that stay unanswered are
// rescinded. It tracks what every task holds and keeps the status history Mesos's state shows.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { LocalAgent } from '../agent/agent.js';
import { LocalClusterError } from '../errors.js';
import { addResources, fits, NO_RESOURCES, subtractResources, type Resources } from './resources.js';
import { nowSeconds, TERMINAL_STATES, type TaskLaunch, type TaskStatusUpdate } from './task-messages.js';

export interface Offer {
  readonly id: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly resources: Resources;
}

export interface FrameworkScheduler {
  readonly name: string;
  readonly webuiUrl: string | null;
  resourceOffers(offers: readonly Offer[]): void;
  statusUpdate(update: TaskStatusUpdate): void;
}

export interface TaskRecord {
  readonly launch: TaskLaunch;
  state: string;
  readonly statuses: TaskStatusUpdate[];
}

export interface FrameworkRecord {
  readonly id: string;
  readonly scheduler: FrameworkScheduler;
  readonly registeredAt: number;
  readonly tasks: Map<string, TaskRecord>;
  readonly completed: TaskRecord[];
}

/**
 * What changed in the master, as the operator API's SUBSCRIBE stream reports it. Emitted from one
 * place (#publish) after the change is applied, so a listener reading the master sees the new state.
 */
export type MasterEvent =
  | { readonly type: 'TASK_ADDED'; readonly task: TaskRecord }
  | { readonly type: 'TASK_UPDATED'; readonly task: TaskRecord; readonly status: TaskStatusUpdate }
  | { readonly type: 'AGENT_ADDED'; readonly agent: LocalAgent }
  | { readonly type: 'AGENT_REMOVED'; readonly agentId: string }
  | { readonly type: 'FRAMEWORK_ADDED' | 'FRAMEWORK_UPDATED'; readonly framework: FrameworkRecord }
  | { readonly type: 'FRAMEWORK_REMOVED'; readonly framework: FrameworkRecord };

export interface MasterOptions {
  readonly logger: Logger;
  readonly ip: string;
  /** Mesos's allocation interval: how often free resources are offered again. */
  readonly allocationIntervalMs?: number;
  readonly offerTimeoutMs?: number;
  /** Finished tasks kept for the state (Mesos: max_completed_tasks_per_framework). */
  readonly maxCompletedTasks?: number;
}

export class LocalMaster extends EventEmitter<{ change: []; event: [MasterEvent] }> {
  readonly id = randomUUID();
  readonly startedAt = nowSeconds();
  readonly ip: string;
  port = 0;
  readonly #options: MasterOptions;
  /** The effective settings, as `/master/flags` reports them. */
  readonly allocationIntervalMs: number;
  readonly offerTimeoutMs: number;
  readonly maxCompletedTasks: number;
  readonly #agents = new Map<string, LocalAgent>();
  readonly #used = new Map<string, Resources>();
  readonly #offered = new Map<string, Offer>();
  readonly #offerTimers = new Map<string, NodeJS.Timeout>();
  /** Which framework each outstanding offer went to. */
  readonly #offeredTo = new Map<string, string>();
  readonly #frameworks = new Map<string, FrameworkRecord>();
  #allocationTimer: NodeJS.Timeout | null = null;
  #allocationSoon: NodeJS.Immediate | null = null;
  #nextAgent = 0;
  #nextFramework = 0;
  #closed = false;

  constructor(options: MasterOptions) {
    super();
    this.#options = options;
    this.allocationIntervalMs = options.allocationIntervalMs ?? 1000;
    this.offerTimeoutMs = options.offerTimeoutMs ?? 10_000;
    this.maxCompletedTasks = options.maxCompletedTasks ?? 100;
    this.ip = options.ip;
  }

  get pid(): string {
    return `master@${this.ip}:${this.port}`;
  }

  nextAgentId(): string {
    return `${this.id}-S${this.#nextAgent++}`;
  }

  start(): void {
    this.#allocationTimer = setInterval(() => this.allocate(), this.allocationIntervalMs);
    this.#allocationTimer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#allocationTimer) clearInterval(this.#allocationTimer);
    if (this.#allocationSoon) clearImmediate(this.#allocationSoon);
    for (const timer of this.#offerTimers.values()) clearTimeout(timer);
    this.#offerTimers.clear();
  }

  registerAgent(agent: LocalAgent): void {
    this.#agents.set(agent.id, agent);
    this.#used.set(agent.id, NO_RESOURCES);
    this.#options.logger.info({ agent: agent.id, resources: summary(agent.resources) }, 'agent registered');
    this.#publish({ type: 'AGENT_ADDED', agent });
    this.reviveOffers();
  }

  /** The agent leaves the cluster (it is shut down): its offers are withdrawn. */
  removeAgent(agentId: string): boolean {
    if (!this.#agents.delete(agentId)) return false;
    this.#used.delete(agentId);
    for (const offer of [...this.#offered.values()]) if (offer.agentId === agentId) this.#take(offer.id);
    this.#options.logger.info({ agent: agentId }, 'agent removed');
    this.#publish({ type: 'AGENT_REMOVED', agentId });
    return true;
  }

  /**
   * A framework subscribes; with the id of one already registered it re-registers (a scheduler
   * failover), which keeps its tasks, as Mesos does.
   */
  registerFramework(scheduler: FrameworkScheduler, failover?: { readonly id: string }): string {
    const known = failover ? this.#frameworks.get(failover.id) : undefined;
    if (known) {
      const framework = { ...known, scheduler };
      this.#frameworks.set(known.id, framework);
      this.#options.logger.info({ framework: known.id, frameworkName: scheduler.name }, 'framework re-registered');
      this.#publish({ type: 'FRAMEWORK_UPDATED', framework });
      this.reviveOffers();
      return known.id;
    }
    const id = `${this.id}-${String(this.#nextFramework++).padStart(4, '0')}`;
    const framework: FrameworkRecord = { id, scheduler, registeredAt: nowSeconds(), tasks: new Map(), completed: [] };
    this.#frameworks.set(id, framework);
    this.#options.logger.info({ framework: id, frameworkName: scheduler.name }, 'framework registered');
    this.#publish({ type: 'FRAMEWORK_ADDED', framework });
    this.reviveOffers();
    return id;
  }

  /** Tears a framework down: its tasks are killed and it is forgotten. */
  removeFramework(frameworkId: string): boolean {
    const framework = this.#frameworks.get(frameworkId);
    if (!framework) return false;
    for (const task of framework.tasks.values()) {
      this.killTask(task.launch.taskId);
      // Its agents' updates will find no framework to report to: the resources are freed now.
      this.#used.set(task.launch.agentId, subtractResources(this.used(task.launch.agentId), task.launch.resources));
    }
    this.#frameworks.delete(frameworkId);
    for (const [offerId, to] of this.#offeredTo) if (to === frameworkId) this.#take(offerId);
    this.#options.logger.info({ framework: frameworkId }, 'framework removed');
    this.#publish({ type: 'FRAMEWORK_REMOVED', framework });
    return true;
  }

  agents(): readonly LocalAgent[] {
    return [...this.#agents.values()];
  }

  frameworks(): readonly FrameworkRecord[] {
    return [...this.#frameworks.values()];
  }

  used(agentId: string): Resources {
    return this.#used.get(agentId) ?? NO_RESOURCES;
  }

  offeredOn(agentId: string): Resources {
    let sum = NO_RESOURCES;
    for (const offer of this.#offered.values()) if (offer.agentId === agentId) sum = addResources(sum, offer.resources);
    return sum;
  }

  /** Free resources of an agent: total minus what tasks hold minus what is out on offer. */
  free(agentId: string): Resources {
    const agent = this.#agents.get(agentId);
    if (!agent) return NO_RESOURCES;
    return subtractResources(subtractResources(agent.resources, this.used(agentId)), this.offeredOn(agentId));
  }

  /** Asks for an allocation round as soon as possible (new framework, freed resources, new demand). */
  reviveOffers(): void {
    if (this.#closed || this.#allocationSoon) return;
    this.#allocationSoon = setImmediate(() => {
      this.#allocationSoon = null;
      this.allocate();
    });
  }

  /** One allocation round: every agent's free resources offered to the framework. */
  allocate(): void {
    if (this.#closed) return;
    for (const framework of this.#frameworks.values()) {
      const offers: Offer[] = [];
      for (const agent of this.#agents.values()) {
        const free = this.free(agent.id);
        if (free.cpus <= 0 && free.mem <= 0 && free.ports.length === 0) continue;
        const offer: Offer = { id: `${this.id}-O${randomUUID().slice(0, 8)}`, agentId: agent.id, hostname: agent.hostname, resources: free };
        this.#offered.set(offer.id, offer);
        this.#offeredTo.set(offer.id, framework.id);
        this.#offerTimers.set(offer.id, setTimeout(() => this.#rescind(offer.id), this.offerTimeoutMs).unref());
        offers.push(offer);
      }
      if (offers.length > 0) framework.scheduler.resourceOffers(offers);
    }
  }

  /** Launches tasks on an offer; what the tasks do not use goes back to the pool. */
  accept(offerId: string, launches: readonly Omit<TaskLaunch, 'agentId'>[]): TaskLaunch[] {
    const offer = this.#take(offerId);
    if (!offer) throw new LocalClusterError('ERR_CLUSTER_LOCAL_OFFER_INVALID', `offer ${offerId} is no longer valid (rescinded, expired or used)`);
    let remaining = offer.resources;
    const accepted: TaskLaunch[] = [];
    for (const partial of launches) {
      if (!fits(remaining, partial.resources))
        throw new LocalClusterError('ERR_CLUSTER_LOCAL_OFFER_TOO_SMALL', `task ${partial.taskId} does not fit in offer ${offerId}`);
      remaining = subtractResources(remaining, partial.resources);
      accepted.push({ ...partial, agentId: offer.agentId });
    }
    const agent = this.#agents.get(offer.agentId)!;
    for (const launch of accepted) {
      const framework = this.#frameworks.get(launch.frameworkId);
      if (!framework) throw new LocalClusterError('ERR_CLUSTER_LOCAL_FRAMEWORK_UNKNOWN', `framework ${launch.frameworkId} is not registered`);
      this.#used.set(agent.id, addResources(this.used(agent.id), launch.resources));
      const staging: TaskStatusUpdate = {
        taskId: launch.taskId,
        agentId: agent.id,
        state: 'TASK_STAGING',
        timestamp: nowSeconds(),
        source: 'SOURCE_MASTER',
        ips: [agent.ip],
      };
      const task: TaskRecord = { launch, state: 'TASK_STAGING', statuses: [staging] };
      framework.tasks.set(launch.taskId, task);
      this.#publish({ type: 'TASK_ADDED', task });
      // Like the agents' updates, on a microtask: the scheduler is still inside resourceOffers().
      queueMicrotask(() => framework.scheduler.statusUpdate(staging));
      void agent.launch(launch);
    }
    // Leftovers are offered again in the next round, not at once: the scheduler just saw them.
    return accepted;
  }

  decline(offerId: string): void {
    this.#take(offerId);
  }

  killTask(taskId: string): boolean {
    for (const framework of this.#frameworks.values()) {
      const task = framework.tasks.get(taskId);
      if (!task) continue;
      const agent = this.#agents.get(task.launch.agentId);
      if (agent) void agent.kill(taskId);
      return true;
    }
    return false;
  }

  /** Status updates from agents: recorded, resources released on terminal states, forwarded. */
  statusUpdate(update: TaskStatusUpdate): void {
    for (const framework of this.#frameworks.values()) {
      const task = framework.tasks.get(update.taskId);
      if (!task) continue;
      task.state = update.state;
      task.statuses.push(update);
      if (TERMINAL_STATES.has(update.state)) {
        framework.tasks.delete(update.taskId);
        framework.completed.push(task);
        const max = this.maxCompletedTasks;
        if (framework.completed.length > max) framework.completed.splice(0, framework.completed.length - max);
        this.#used.set(task.launch.agentId, subtractResources(this.used(task.launch.agentId), task.launch.resources));
        this.reviveOffers();
      }
      this.#publish({ type: 'TASK_UPDATED', task, status: update });
      framework.scheduler.statusUpdate(update);
      return;
    }
  }

  #take(offerId: string): Offer | undefined {
    const offer = this.#offered.get(offerId);
    this.#offered.delete(offerId);
    this.#offeredTo.delete(offerId);
    const timer = this.#offerTimers.get(offerId);
    if (timer) clearTimeout(timer);
    this.#offerTimers.delete(offerId);
    return offer;
  }

  #rescind(offerId: string): void {
    if (this.#take(offerId)) this.#options.logger.debug({ offer: offerId }, 'offer rescinded (not answered in time)');
  }

  #publish(event: MasterEvent): void {
    this.emit('event', event);
    this.emit('change');
  }
}

function summary(r: Resources): string {
  return `cpus ${r.cpus}, mem ${r.mem} MB, disk ${r.disk} MB, ports ${r.ports.map((p) => `${p.begin}-${p.end}`).join(',')}`;
}
