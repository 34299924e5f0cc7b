// Per-task CPU and memory limits with cgroups: v2 (`cpu.max`, `memory.max`) when /sys/fs/cgroup is a
// writable unified hierarchy with those controllers, else v1 (`cpu.cfs_quota_us`,
// `memory.limit_in_bytes`) when those hierarchies are writable. A task joins its groups from the
// launch wrapper before it execs the command, so no child can be forked outside them.
import { access, mkdir, readFile, readdir, rmdir, writeFile, constants } from 'node:fs/promises';
import { dirname } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

export type CgroupMode = 'v2' | 'v1' | 'none';

export interface TaskCgroup {
  /** `cgroup.procs` files the task's first process writes its PID into. */
  readonly procsFiles: readonly string[];
  /** The task's group directories (v2: one; v1: cpu then memory), where the kernel reports its use. */
  readonly dirs: readonly string[];
  /** PIDs in the task's groups (the whole tree, wherever it forked). */
  pids(): Promise<number[]>;
  /** Peak or current memory use in bytes, when the kernel reports it. */
  memoryBytes(): Promise<number | null>;
  remove(): Promise<void>;
}

// Each cluster of this process gets a group of its own under the process's `gatehouse-<pid>`: two
// clusters in one process (tests run several at once) must not remove each other's task groups when
// one closes (a group created for a task that has not joined it yet is empty, and would go).
let clustersSoFar = 0;

export class Cgroups {
  readonly mode: CgroupMode;
  readonly #base: string;
  readonly #processGroup: string;

  private constructor(mode: CgroupMode, base: string, processGroup = '') {
    this.mode = mode;
    this.#base = base;
    this.#processGroup = processGroup;
  }

  static none(): Cgroups {
    return new Cgroups('none', '');
  }

  /** Finds what this host allows; `name` is the parent group for every task (e.g. `gatehouse-<pid>`). */
  static async detect(name: string): Promise<Cgroups> {
    const own = `cluster-${++clustersSoFar}`;
    const v2 = await tryV2(name, own);
    if (v2) {
      await removeStale(dirname(v2.processGroup));
      return new Cgroups('v2', v2.base, v2.processGroup);
    }
    if (await tryV1(`${name}/${own}`)) {
      for (const controller of ['cpu', 'memory']) await removeStale(`${ROOT}/${controller}`);
      return new Cgroups('v1', `${name}/${own}`, name);
    }
    return new Cgroups('none', '');
  }

  async create(taskId: string, cpus: number, memMb: number): Promise<TaskCgroup | null> {
    const leaf = taskId.replace(/[^A-Za-z0-9_.-]/g, '_');
    const quota = Math.max(1000, Math.round(cpus * PERIOD_US));
    const memBytes = Math.max(4 * 1024 * 1024, Math.round(memMb * 1024 * 1024));
    if (this.mode === 'v2') {
      const dir = `${this.#base}/${leaf}`;
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/cpu.max`, `${quota} ${PERIOD_US}`);
      await writeFile(`${dir}/memory.max`, String(memBytes));
      await writeFile(`${dir}/memory.swap.max`, '0').catch(() => undefined);
      return group([dir], `${dir}/memory.peak`);
    }
    if (this.mode === 'v1') {
      const cpu = `${ROOT}/cpu/${this.#base}/${leaf}`;
      const memory = `${ROOT}/memory/${this.#base}/${leaf}`;
      await mkdir(cpu, { recursive: true });
      await mkdir(memory, { recursive: true });
      await writeFile(`${cpu}/cpu.cfs_period_us`, String(PERIOD_US));
      await writeFile(`${cpu}/cpu.cfs_quota_us`, String(quota));
      await writeFile(`${memory}/memory.limit_in_bytes`, String(memBytes));
      return group([cpu, memory], `${memory}/memory.max_usage_in_bytes`);
    }
    return null;
  }

  /**
   * Removes this cluster's groups, with any task group a slow exit left behind, then the process's
   * group unless another cluster of this process still has its own there (one try: not ours to wait for).
   */
  async close(): Promise<void> {
    if (this.mode === 'v2') {
      await removeGroup(this.#base);
      await rmdir(this.#processGroup).catch(() => undefined);
    }
    if (this.mode === 'v1') {
      for (const controller of ['cpu', 'memory']) {
        await removeGroup(`${ROOT}/${controller}/${this.#base}`);
        await rmdir(`${ROOT}/${controller}/${this.#processGroup}`).catch(() => undefined);
      }
    }
  }
}

function group(dirs: readonly string[], memoryFile: string): TaskCgroup {
  return {
    procsFiles: dirs.map((d) => `${d}/cgroup.procs`),
    dirs,
    async pids() {
      const text = await readFile(`${dirs[0]}/cgroup.procs`, 'latin1').catch(() => '');
      return text.split('\n').filter(Boolean).map(Number);
    },
    async memoryBytes() {
      const text = await readFile(memoryFile, 'latin1').catch(() => null);
      return text === null ? null : Number(text.trim());
    },
    async remove() {
      // A group can be removed only once empty; the caller has killed the tree, give the kernel a moment.
      for (const dir of dirs) await removeWhenEmpty(dir);
    },
  };
}

/** A group and its child groups, deepest first; groups that still hold processes stay. */
async function removeGroup(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return true;
  for (const entry of entries) if (entry.isDirectory()) await removeGroup(`${dir}/${entry.name}`);
  return removeWhenEmpty(dir);
}

/**
 * How long a group's killed processes may take to leave it. They were given 0.5 s, and on a machine
 * short of CPU a stop then left groups behind (the next start removed them); waiting costs nothing
 * when they leave at once.
 */
const EMPTY_WITHIN_MS = 5000;

/** Removes an empty group, retrying (25 ms, doubling to 200 ms) while its processes are still leaving. */
export async function removeWhenEmpty(dir: string): Promise<boolean> {
  const deadline = Date.now() + EMPTY_WITHIN_MS;
  for (let pause = 25; ; pause = Math.min(pause * 2, 200)) {
    try {
      await rmdir(dir);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      if (Date.now() + pause > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

// A Gatehouse that was killed (SIGKILL, power loss) could not remove its groups. Its tasks' first
// processes died with it (pdeathsig), but what they forked may live on inside the groups: those are
// leftover tasks of a `gatehouse-<pid>` whose process is gone, ended here, and their groups removed.
async function removeStale(parent: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const pid = /^gatehouse-(\d+)$/.exec(entry)?.[1];
    if (!pid || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    await killMembers(`${parent}/${entry}`);
    await removeGroup(`${parent}/${entry}`);
  }
}

async function killMembers(dir: string): Promise<void> {
  const procs = await readFile(`${dir}/cgroup.procs`, 'latin1').catch(() => '');
  for (const pid of procs.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (entry.isDirectory()) await killMembers(`${dir}/${entry.name}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Another cluster of this process that closes removes the process's group when it holds no other
// cluster's: if that happens between the two levels of our mkdir, the second fails once; try again.
async function makeGroup(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(dir, { recursive: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}

async function tryV2(name: string, own: string): Promise<{ processGroup: string; base: string } | null> {
  try {
    const controllers = (await readFile(`${ROOT}/cgroup.controllers`, 'latin1')).split(/\s+/);
    if (!controllers.includes('cpu') || !controllers.includes('memory')) return null;
    // Processes may not live in a group that hands controllers to children, so tasks go under our own
    // parent, which enables cpu and memory for its children.
    const self = (await readFile('/proc/self/cgroup', 'latin1')).split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    const parent = `${ROOT}${self === '/' ? '' : self}`.replace(/\/+$/, '');
    const processGroup = `${parent}/${name}`;
    const base = `${processGroup}/${own}`;
    await makeGroup(base);
    // Both levels hand the controllers down: the process's group to the clusters', a cluster's to its tasks'.
    await writeFile(`${processGroup}/cgroup.subtree_control`, '+cpu +memory');
    await writeFile(`${base}/cgroup.subtree_control`, '+cpu +memory');
    return { processGroup, base };
  } catch {
    return null;
  }
}

async function tryV1(name: string): Promise<boolean> {
  try {
    for (const controller of ['cpu', 'memory']) {
      await access(`${ROOT}/${controller}/cgroup.procs`, constants.W_OK);
      await makeGroup(`${ROOT}/${controller}/${name}`);
    }
    return true;
  } catch {
    return false;
  }
}
