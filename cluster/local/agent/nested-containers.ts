// The nested containers of an agent's tasks (`dcos task exec` sessions): launched under a running
// task's container, found again by id for ATTACH_CONTAINER_INPUT and WAIT_CONTAINER, and killed when
// their session or their task ends. An ended session's exit status is kept a while, so WAIT_CONTAINER
// answers it also after the output stream has closed (the CLI asks only then; Mesos forgets it).
import type { Logger } from 'pino';
import { LocalClusterError } from '../errors.js';
import type { RunningTask } from './running-task.js';
import { ExecSession, type ExecCommand } from './exec-session.js';
import type { Isolation } from './isolation.js';

/** Ended sessions whose exit status is kept, and for how long. */
const KEPT_ENDED = 256;
const KEEP_ENDED_MS = 10 * 60_000;

export class NestedContainerError extends LocalClusterError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('ERR_CLUSTER_LOCAL_NESTED_CONTAINER', message);
    this.status = status;
  }
}

export interface NestedContainerHost {
  tasks(): readonly RunningTask[];
  /** What a command run inside the task starts from: the task's own environment. */
  taskEnvironment(task: RunningTask): NodeJS.ProcessEnv;
  readonly isolation: Isolation;
  readonly logger: Logger;
}

export class NestedContainers {
  readonly #host: NestedContainerHost;
  readonly #running = new Map<string, ExecSession>();
  readonly #ended = new Map<string, { status: number; at: number }>();

  constructor(host: NestedContainerHost) {
    this.#host = host;
  }

  /** Starts `command` in the running task whose container is `parentId`; 404 when there is none. */
  async launch(containerId: string, parentId: string, command: ExecCommand): Promise<ExecSession> {
    if (!/^[\w.-]{1,128}$/.test(containerId) || containerId === '.' || containerId === '..')
      throw new NestedContainerError(400, `container id ${JSON.stringify(containerId)}: letters, digits, '-', '_' and '.' only (at most 128)`);
    if (this.#running.has(containerId) || this.#ended.has(containerId))
      throw new NestedContainerError(400, `Container ${parentId}.${containerId} already exists`);
    const task = this.#host.tasks().find((t) => t.runId === parentId);
    if (!task) throw new NestedContainerError(404, `Parent container ${parentId} not found (no running task of this agent has that container)`);
    if (task.pid === null || task.killing) throw new NestedContainerError(409, `Parent container ${parentId}: task ${task.launch.taskId} is not running`);
    const session = await ExecSession.start(containerId, task, command, this.#host.taskEnvironment(task), this.#host.isolation);
    this.#running.set(containerId, session);
    this.#host.logger.info(
      { task: task.launch.taskId, container: `${parentId}.${containerId}`, command: command.shell ?? command.argv, tty: session.tty, pid: session.pid },
      'exec: command started in task',
    );
    void session.exited.then((status) => {
      this.#running.delete(containerId);
      this.#ended.set(containerId, { status, at: Date.now() });
      this.#forgetOld();
      this.#host.logger.info({ task: task.launch.taskId, container: `${parentId}.${containerId}`, status }, 'exec: command ended');
    });
    return session;
  }

  /** A running session by its id (and its parent's, when the caller names one); 404 otherwise. */
  running(containerId: string, parentId: string | undefined): ExecSession {
    const session = this.#running.get(containerId);
    if (!session || (parentId !== undefined && session.parentId !== parentId))
      throw new NestedContainerError(404, `Container ${parentId ? `${parentId}.` : ''}${containerId} not found (or no longer running)`);
    return session;
  }

  /** The wait(2) status of a session, once it has ended; 404 for an id never launched or long forgotten. */
  async wait(containerId: string, parentId: string | undefined): Promise<number> {
    const ended = this.#ended.get(containerId);
    if (ended) return ended.status;
    return this.running(containerId, parentId).exited;
  }

  /** Kills the sessions of a task that ended (without namespaces nothing else would stop them). */
  killOf(task: RunningTask): void {
    for (const session of this.#running.values()) if (session.task === task) void session.kill();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#running.values()].map((session) => session.kill()));
  }

  #forgetOld(): void {
    const now = Date.now();
    for (const [id, ended] of this.#ended) {
      if (this.#ended.size <= KEPT_ENDED && now - ended.at < KEEP_ENDED_MS) break;
      this.#ended.delete(id);
    }
  }
}
