// An agent: runs each task in its own sandbox directory (stdout/stderr files, as Mesos does), isolated
// as this host allows, and reports status updates. Stopping a task stops its whole process tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LocalClusterError } from '../errors.js';
import type { Isolation } from './isolation.js';
import { NestedContainers } from './nested-containers.js';
import { processTree, residentBytes, signalAll } from './process-tree.js';
import type { RunningTask } from './running-task.js';
import type { Resources } from '../master/resources.js';
import { nowSeconds, type LocalTaskState, type TaskLaunch, type TaskStatusUpdate } from '../master/task-messages.js';

export interface AgentOptions {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly resources: Resources;
  readonly workDir: string;
  readonly isolation: Isolation;
  readonly logger: Logger;
  readonly onStatus: (update: TaskStatusUpdate) => void;
  /** How often the memory watchdog looks when no cgroup limits memory. */
  readonly watchdogMs?: number;
}

export type { RunningTask } from './running-task.js';

export class LocalAgent {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly resources: Resources;
  readonly registeredAt = nowSeconds();
  /** Commands run inside tasks (`dcos task exec`). */
  readonly nested: NestedContainers;
  readonly #options: AgentOptions;
  readonly #tasks = new Map<string, RunningTask>();
  #watchdog: NodeJS.Timeout | null = null;
  #port = 0;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.id = options.id;
    this.hostname = options.hostname;
    this.ip = options.ip;
    this.resources = options.resources;
    this.nested = new NestedContainers({
      tasks: () => this.tasks(),
      taskEnvironment: (task) => this.#environment(task.launch, task.sandbox),
      isolation: options.isolation,
      logger: options.logger,
    });
  }

  /** The port of the agent's HTTP endpoint (set once its server listens). */
  get port(): number {
    return this.#port;
  }

  set port(port: number) {
    this.#port = port;
  }

  get pid(): string {
    return `slave(1)@${this.ip}:${this.#port}`;
  }

  get workDir(): string {
    return join(this.#options.workDir, 'slaves', this.id);
  }

  tasks(): readonly RunningTask[] {
    return [...this.#tasks.values()];
  }

  task(taskId: string): RunningTask | undefined {
    return this.#tasks.get(taskId);
  }

  async launch(launch: TaskLaunch): Promise<void> {
    const runId = randomUUID();
    const sandbox = join(this.workDir, 'frameworks', launch.frameworkId, 'executors', launch.taskId, 'runs', runId);
    let resolveExited!: () => void;
    const task: RunningTask = {
      launch,
      sandbox,
      runId,
      startedAt: Date.now(),
      pid: null,
      child: null,
      cgroup: null,
      killing: false,
      limitation: null,
      exited: new Promise((r) => (resolveExited = r)),
    };
    this.#tasks.set(launch.taskId, task);
    this.#status(launch.taskId, 'TASK_STARTING');
    // Closed on every path: the child holds its own copies once spawned, and a launch that fails
    // before (a kill while starting, a cgroup refused) must not leave them to the garbage collector.
    let stdout: FileHandle | null = null;
    let stderr: FileHandle | null = null;
    try {
      await mkdir(sandbox, { recursive: true });
      stdout = await open(join(sandbox, 'stdout'), 'a');
      stderr = await open(join(sandbox, 'stderr'), 'a');
      task.cgroup = await this.#options.isolation.cgroups.create(`${launch.taskId}.${runId.slice(0, 8)}`, launch.resources.cpus, launch.resources.mem);
      if (task.killing) throw new LocalClusterError('ERR_CLUSTER_LOCAL_TASK_KILLED', 'killed before it started');
      const argv = this.#options.isolation.launchArgv(launch.command, task.cgroup?.procsFiles ?? []);
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: sandbox,
        env: this.#environment(launch, sandbox),
        stdio: ['ignore', stdout.fd, stderr.fd],
        detached: true,
      });
      task.child = child;
      // Listen for the exit before anything else is awaited: a command that fails at once can exit
      // before the next line runs, and a missed exit would leave the task running forever.
      let running = false;
      let exit: [number | null, NodeJS.Signals | null] | null = null;
      child.once('exit', (code, signal) => {
        if (running) void this.#exited(task, code, signal).finally(resolveExited);
        else exit = [code, signal];
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      task.pid = child.pid ?? null;
      running = true;
      this.#status(launch.taskId, 'TASK_RUNNING');
      const early = exit as [number | null, NodeJS.Signals | null] | null;
      if (early) void this.#exited(task, early[0], early[1]).finally(resolveExited);
      this.#startWatchdog();
    } catch (error) {
      this.#tasks.delete(launch.taskId);
      await task.cgroup?.remove();
      resolveExited();
      const message = error instanceof Error ? error.message : String(error);
      this.#options.logger.warn({ task: launch.taskId, reason: message }, 'task could not be started');
      this.#status(
        launch.taskId,
        task.killing ? 'TASK_KILLED' : 'TASK_FAILED',
        { message: `Failed to launch: ${message}`, reason: 'REASON_COMMAND_EXECUTOR_FAILED' },
        runId,
      );
    } finally {
      await Promise.all([stdout?.close(), stderr?.close()]);
    }
  }

  /** SIGTERM to every process of the task, SIGKILL to what is left after the grace period. */
  async kill(taskId: string, gracePeriodMs = this.#tasks.get(taskId)?.launch.killGracePeriodMs ?? 3000): Promise<void> {
    const task = this.#tasks.get(taskId);
    if (!task) return;
    if (!task.killing) {
      task.killing = true;
      this.#status(taskId, 'TASK_KILLING');
    }
    if (task.pid === null) return task.exited;
    signalAll(await this.#treeOf(task), 'SIGTERM');
    const timer = setTimeout(() => void this.#killHard(task), gracePeriodMs);
    await task.exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = null;
    await this.nested.close();
    // Bounded: a process the kernel cannot reap (stuck in D state) must not hold Gatehouse's shutdown.
    const killed = Promise.all([...this.#tasks.keys()].map((id) => this.kill(id, 2000)));
    const gaveUp = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 8000).unref());
    if ((await Promise.race([killed, gaveUp])) === 'timeout')
      this.#options.logger.error({ tasks: [...this.#tasks.keys()] }, 'tasks did not exit after SIGKILL; giving up on them');
  }

  async #killHard(task: RunningTask): Promise<void> {
    signalAll(await this.#treeOf(task), 'SIGKILL');
    if (task.pid !== null) {
      try {
        process.kill(-task.pid, 'SIGKILL');
      } catch {
        // The process group is gone already.
      }
    }
  }

  async #treeOf(task: RunningTask): Promise<number[]> {
    const tree = task.pid === null ? [] : await processTree(task.pid);
    const grouped = (await task.cgroup?.pids()) ?? [];
    return [...new Set([...tree, ...grouped])];
  }

  async #exited(task: RunningTask, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    // Whatever the task left behind (daemons, children, commands run in it) goes with it.
    await this.#killHard(task);
    this.nested.killOf(task);
    await task.cgroup?.remove();
    this.#tasks.delete(task.launch.taskId);
    if (this.#tasks.size === 0 && this.#watchdog) {
      clearInterval(this.#watchdog);
      this.#watchdog = null;
    }
    const how = signal ? `Command terminated by signal ${signal}` : `Command exited with status ${code}`;
    let state: LocalTaskState = code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
    const extra: { message: string; reason?: string } = { message: how };
    if (task.limitation) {
      state = 'TASK_FAILED';
      extra.message = task.limitation;
      extra.reason = 'REASON_CONTAINER_LIMITATION_MEMORY';
    } else if (task.killing) {
      state = 'TASK_KILLED';
      extra.message = `Task killed (${how.toLowerCase()})`;
    } else if (code !== 0) {
      extra.reason = 'REASON_COMMAND_EXECUTOR_FAILED';
    }
    this.#options.logger.info({ task: task.launch.taskId, state, message: extra.message }, 'task ended');
    this.#status(task.launch.taskId, state, extra, task.runId);
  }

  #environment(launch: TaskLaunch, sandbox: string): NodeJS.ProcessEnv {
    // Only what a task needs from ours: our own secrets (tokens, keys in env) must not leak into tasks.
    const inherited: NodeJS.ProcessEnv = {};
    for (const key of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'TMPDIR']) if (process.env[key] !== undefined) inherited[key] = process.env[key];
    return {
      ...inherited,
      ...launch.env,
      MESOS_SANDBOX: sandbox,
      MESOS_TASK_ID: launch.taskId,
      MESOS_AGENT_ID: this.id,
      MESOS_SLAVE_ID: this.id,
      MESOS_FRAMEWORK_ID: launch.frameworkId,
      MESOS_DIRECTORY: sandbox,
    };
  }

  // Without cgroups nothing in the kernel holds a task to its `mem`; the agent measures and enforces.
  #startWatchdog(): void {
    if (this.#watchdog || this.#options.isolation.cgroups.mode !== 'none') return;
    this.#watchdog = setInterval(() => void this.#checkMemory(), this.#options.watchdogMs ?? 2000);
    this.#watchdog.unref();
  }

  async #checkMemory(): Promise<void> {
    for (const task of this.#tasks.values()) {
      if (task.pid === null || task.killing) continue;
      const used = await residentBytes(await processTree(task.pid));
      const limit = task.launch.resources.mem * 1024 * 1024;
      if (used > limit) {
        task.limitation = `Memory limit exceeded: ${Math.round(used / 1048576)} MB used, ${task.launch.resources.mem} MB allowed`;
        this.#options.logger.warn(
          { task: task.launch.taskId, usedMb: Math.round(used / 1048576), memMb: task.launch.resources.mem },
          'task over its memory; killing it',
        );
        task.killing = true;
        await this.#killHard(task);
      }
    }
  }

  // Delivered on a microtask, in order, never inside the caller's stack: the master and scheduler react to
  // updates (kill, relaunch) and must not re-enter themselves in the middle of a decision.
  #status(taskId: string, state: LocalTaskState, extra: { message?: string; reason?: string } = {}, containerId = this.#tasks.get(taskId)?.runId): void {
    const update: TaskStatusUpdate = {
      taskId,
      agentId: this.id,
      state,
      timestamp: nowSeconds(),
      source: 'SOURCE_EXECUTOR',
      ips: [this.ip],
      ...extra,
      ...(containerId ? { containerId } : {}),
    };
    queueMicrotask(() => this.#options.onStatus(update));
  }
}
