// How an agent isolates a task on this host, found once at start: new PID, mount, UTS and IPC
// namespaces with `unshare` when the kernel lets us, cgroup CPU and memory limits when a cgroup
// hierarchy is writable, and otherwise a memory watchdog (the agent kills a task whose processes
// grow past its `mem`, as Mesos's posix isolator can only observe).
import { spawn } from 'node:child_process';
import { Cgroups, type CgroupMode } from './cgroups.js';

export interface Isolation {
  readonly namespaces: boolean;
  readonly cgroups: Cgroups;
  /** One line for the log: which isolation is active and why the rest is not. */
  describe(): string;
  /** argv that runs `command` (a shell command) isolated, its first process joining `procsFiles`. */
  launchArgv(command: string, procsFiles: readonly string[]): string[];
  /**
   * argv that runs `inner` beside a running task (`dcos task exec`): in the task's cgroups, and with
   * namespaces inside the task's PID, mount, UTS and IPC namespaces (those of `namespacePid`), in `cwd`.
   */
  execArgv(inner: readonly string[], procsFiles: readonly string[], namespacePid: number | null, cwd: string): string[];
}

export interface IsolationOptions {
  /** `auto` probes; `none` runs plain child processes (tests, hosts without unshare). */
  readonly mode?: 'auto' | 'none';
  readonly cgroupName: string;
}

// PID 1 of a new PID namespace receives only the signals it has handlers for, so the task does not run
// as PID 1: a small shell init forwards SIGTERM to it, waits for it and exits with its status.
const INIT = [
  'sh -c "$0" </dev/null & child=$!',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  'wait "$child"; status=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  'exit "$status"',
].join('\n');

// Joins the cgroups first, then replaces itself with the (isolated) command: nothing runs outside.
const JOIN = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"';

/** Runs a probe command without blocking the event loop (other clusters of this process, servers, keep going). */
function probeCommand(command: string, args: readonly string[]): Promise<{ status: number | null; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', timeout: 5000 });
    child.once('error', (error) => resolve({ status: null, error }));
    child.once('exit', (status) => resolve({ status }));
  });
}

export async function detectIsolation(options: IsolationOptions): Promise<Isolation> {
  const [probe, setpriv] = await Promise.all([
    options.mode === 'none' ? null : probeCommand('unshare', ['--pid', '--fork', '--mount', '--uts', '--ipc', '--mount-proc', '--kill-child', '--', 'true']),
    probeCommand('setpriv', ['--pdeathsig', 'KILL', '--', 'true']),
  ]);
  const namespaces = probe !== null && probe.status === 0;
  // If Gatehouse itself dies (even by SIGKILL), the kernel kills the task's first process, and with
  // --kill-child the whole namespace: no task outlives the agent that owns it.
  const pdeathsig = setpriv.status === 0;
  const guard = pdeathsig ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  const cgroups = options.mode === 'none' ? Cgroups.none() : await Cgroups.detect(options.cgroupName);
  const why =
    probe === null
      ? 'disabled by configuration'
      : probe.error
        ? `unshare unavailable (${probe.error.message})`
        : `unshare refused (exit ${probe.status})`;
  return {
    namespaces,
    cgroups,
    describe() {
      const ns = namespaces ? 'pid, mount, uts and ipc namespaces' : `no namespaces: ${why}`;
      return `${ns}; ${limitsText(cgroups.mode)}`;
    },
    launchArgv(command, procsFiles) {
      const isolated = namespaces
        ? [...guard, 'unshare', '--pid', '--fork', '--mount', '--uts', '--ipc', '--mount-proc', '--kill-child', '--', 'sh', '-c', INIT, command]
        : [...guard, 'sh', '-c', command];
      if (procsFiles.length === 0) return isolated;
      return ['sh', '-c', JOIN, 'join', ...procsFiles, '--', ...isolated];
    },
    execArgv(inner, procsFiles, namespacePid, cwd) {
      // Entering a mount namespace moves the working directory to its root: --wd sets the sandbox again.
      const entered =
        namespaces && namespacePid !== null
          ? [...guard, 'nsenter', `--target=${namespacePid}`, '--pid', '--mount', '--uts', '--ipc', `--wd=${cwd}`, '--', ...inner]
          : [...guard, ...inner];
      if (procsFiles.length === 0) return entered;
      return ['sh', '-c', JOIN, 'join', ...procsFiles, '--', ...entered];
    },
  };
}

function limitsText(mode: CgroupMode): string {
  if (mode === 'v2') return 'cgroup v2 cpu.max and memory.max per task';
  if (mode === 'v1') return 'cgroup v1 cpu.cfs_quota_us and memory.limit_in_bytes per task';
  return 'no writable cgroups: memory watched by the agent (a task over its mem is killed), CPU not limited';
}
