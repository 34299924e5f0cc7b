// `dcos task exec`: a command run as a nested container of a task, the way Mesos runs a
// LAUNCH_NESTED_CONTAINER_SESSION. It joins the task's cgroups and (with namespaces) enters the task's
// PID, mount, UTS and IPC namespaces with nsenter; it gets the task's environment plus the call's, and
// the task's sandbox as working directory. With a TTY it runs under util-linux `script`, which gives
// it a real pseudo-terminal: `script` ships with every Linux (util-linux, "essential" in Debian) and
// needs no native addon, where an npm pty library (node-pty) compiles C++ against each Node version
// and would have to be built on every machine that installs Gatehouse. The window size is set from
// outside with `stty -F /dev/pts/N`, which makes the kernel signal SIGWINCH as on any terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { RunningTask } from './running-task.js';
import type { Isolation } from './isolation.js';
import { processTree, signalAll } from './process-tree.js';

export interface WindowSize {
  readonly rows: number;
  readonly columns: number;
}

export interface ExecCommand {
  /** A shell command (`/bin/sh -c`), or an argv run as it is (`shell: false`). */
  readonly shell: string | null;
  readonly argv: readonly string[];
  /** The call's variables, over the task's (TERM with `-t`). */
  readonly env: Readonly<Record<string, string>>;
  /** A pseudo-terminal was asked for (`container.tty_info`), with this first size if it said one. */
  readonly tty: WindowSize | true | null;
}

const OWN_PID_NAMESPACE = readlink('/proc/self/ns/pid').catch(() => null);

/**
 * The host PID of the task's namespace init (the first process of its tree in another PID namespace
 * than ours), which nsenter targets; null without namespaces or when the task has no process left.
 */
export async function namespacePidOf(task: RunningTask): Promise<number | null> {
  if (task.pid === null) return null;
  const own = await OWN_PID_NAMESPACE;
  if (own === null) return null;
  for (const pid of await processTree(task.pid)) {
    const ns = await readlink(`/proc/${pid}/ns/pid`).catch(() => null);
    if (ns !== null && ns !== own) return pid;
  }
  return null;
}

/** POSIX shell quoting, for the command line `script -c` hands to a shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export class ExecSession {
  readonly containerId: string;
  readonly parentId: string;
  readonly task: RunningTask;
  readonly tty: boolean;
  readonly startedAt = Date.now();
  /** Resolves with the wait(2) status: exit code << 8, or the terminating signal's number. */
  readonly exited: Promise<number>;
  /** Whether ATTACH_CONTAINER_INPUT has been taken (one input stream per session, as in Mesos). */
  inputAttached = false;
  #child: ChildProcess;
  #size: WindowSize | null = null;
  #pts: Promise<string | null> | null = null;
  #status: number | null = null;

  private constructor(containerId: string, task: RunningTask, child: ChildProcess, tty: boolean) {
    this.containerId = containerId;
    this.parentId = task.runId;
    this.task = task;
    this.tty = tty;
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#status = signal ? signalNumber(signal) : (code ?? 0) << 8;
        resolve(this.#status);
      });
    });
  }

  /** `env`: the task's environment (the call's variables go over it). */
  static async start(containerId: string, task: RunningTask, command: ExecCommand, env: NodeJS.ProcessEnv, isolation: Isolation): Promise<ExecSession> {
    const inner = command.shell !== null ? ['/bin/sh', '-c', command.shell] : [...command.argv];
    const nsPid = isolation.namespaces ? await namespacePidOf(task) : null;
    const isolated = isolation.execArgv(inner, task.cgroup?.procsFiles ?? [], nsPid, task.sandbox);
    // `script -q -e -c CMD /dev/null`: quiet, the command's exit status, no typescript file.
    const argv = command.tty ? ['script', '-q', '-e', '-c', shellQuote(isolated), '/dev/null'] : isolated;
    const child = spawn(argv[0]!, argv.slice(1), { cwd: task.sandbox, env: { ...env, ...command.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.stdin!.on('error', () => undefined); // a command that exits without reading its input
    const session = new ExecSession(containerId, task, child, command.tty !== null);
    if (command.tty !== null && command.tty !== true) session.resize(command.tty);
    return session;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get stdout(): Readable {
    return this.#child.stdout!;
  }

  /** With a TTY, stdout and stderr are one stream (the terminal), as with Mesos. */
  get stderr(): Readable {
    return this.#child.stderr!;
  }

  /** The wait(2) status once the command has exited, else null. */
  get status(): number | null {
    return this.#status;
  }

  /** Input for the command; false when it should wait for 'drain'. */
  write(data: Buffer): boolean {
    const stdin = this.#child.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return true;
    return stdin.write(data);
  }

  onDrain(resume: () => void): void {
    this.#child.stdin!.once('drain', resume);
  }

  /** End of input (an empty STDIN record, or the input stream ended). */
  endInput(): void {
    const stdin = this.#child.stdin!;
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  /** A new window size for the TTY (ignored without one); applied once the terminal is there. */
  resize(size: WindowSize): void {
    if (!this.tty) return;
    this.#size = size;
    void this.#applySize();
  }

  /** SIGKILL to the command and everything it started (its session ended before it did). */
  async kill(): Promise<void> {
    if (this.#status !== null || this.#child.pid === undefined) return;
    signalAll(await processTree(this.#child.pid), 'SIGKILL');
  }

  async #applySize(): Promise<void> {
    const pts = await (this.#pts ??= this.#terminal());
    const size = this.#size;
    if (!pts || !size || this.#status !== null) return;
    // `stty -F` sets the size on the terminal itself: the kernel signals SIGWINCH to its foreground job.
    const stty = spawn('stty', ['-F', pts, 'rows', String(size.rows), 'cols', String(size.columns)], { stdio: 'ignore' });
    await new Promise((resolve) => stty.once('close', resolve).once('error', resolve));
  }

  /** The pseudo-terminal `script` opened: its child's standard input (bounded wait for it to appear). */
  async #terminal(): Promise<string | null> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && this.#status === null && this.#child.pid !== undefined) {
      const [, child] = await processTree(this.#child.pid);
      const target = child === undefined ? null : await readlink(`/proc/${child}/fd/0`).catch(() => null);
      if (target?.startsWith('/dev/pts/')) return target;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return null;
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? constants.signals.SIGKILL;
}
