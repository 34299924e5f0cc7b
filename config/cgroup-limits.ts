// The CPU and memory this process may use, as its cgroup limits them (a container's `--cpus` and
// `--memory`, a systemd unit's CPUQuota/MemoryMax). `os.availableParallelism()` and `os.totalmem()`
// report the host's cores and memory, so defaults built on them alone (`gateway.workers: auto`, the
// embedded agent's cpus and mem) would oversubscribe a limited container. cgroup v2 (`cpu.max`,
// `memory.max`) and v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`, `memory.limit_in_bytes`) are
// read; the tightest limit on the way from this process's cgroup up to the hierarchy's root wins.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';

export interface CgroupLimits {
  readonly version: 1 | 2 | null;
  /** CPUs the quota allows (may be fractional, e.g. 1.5); null when unlimited. */
  readonly cpus: number | null;
  /** Bytes; null when unlimited. */
  readonly memoryBytes: number | null;
}

export interface CgroupPaths {
  /** Where the cgroup file systems are mounted (default /sys/fs/cgroup). */
  readonly root?: string;
  /** This process's cgroup membership file (default /proc/self/cgroup). */
  readonly selfCgroup?: string;
}

/** v1 reports "no limit" as a huge number (2^63 rounded down to a page); anything past 2^60 is that. */
const UNLIMITED_V1 = 2 ** 60;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The directories from `root + path` up to `root` (a container without a cgroup namespace sees the host's path,
 * which may not exist in its mount: then only the root is read).
 */
function ancestry(mount: string, path: string): string[] {
  const dirs: string[] = [];
  const parts = path.split('/').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const dir = join(mount, ...parts.slice(0, i));
    if (existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

function minOf(values: readonly (number | null)[]): number | null {
  const limits = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  return limits.length ? Math.min(...limits) : null;
}

function v2Cpu(dir: string): number | null {
  const [quota, period] = (read(join(dir, 'cpu.max')) ?? 'max').split(/\s+/);
  if (!quota || quota === 'max') return null;
  return Number(quota) / Number(period ?? 100000);
}

function v2Memory(dir: string): number | null {
  const value = read(join(dir, 'memory.max'));
  return value === null || value === 'max' ? null : Number(value);
}

function v1Cpu(dir: string): number | null {
  const quota = Number(read(join(dir, 'cpu.cfs_quota_us')) ?? -1);
  const period = Number(read(join(dir, 'cpu.cfs_period_us')) ?? 100000);
  return quota > 0 && period > 0 ? quota / period : null;
}

function v1Memory(dir: string): number | null {
  const value = Number(read(join(dir, 'memory.limit_in_bytes')) ?? NaN);
  return Number.isFinite(value) && value < UNLIMITED_V1 ? value : null;
}

/** v1: the mount of the hierarchy that has `controller` (`cpu` may be mounted as `cpu,cpuacct`). */
function v1Mount(root: string, controller: string): string | null {
  for (const name of [controller, `${controller},cpuacct`, `cpuacct,${controller}`]) if (existsSync(join(root, name))) return join(root, name);
  return null;
}

export function readCgroupLimits(paths: CgroupPaths = {}): CgroupLimits {
  const root = paths.root ?? '/sys/fs/cgroup';
  const membership = (read(paths.selfCgroup ?? '/proc/self/cgroup') ?? '').split('\n').filter(Boolean).map((line) => {
    const [, controllers = '', ...path] = line.split(':');
    return { controllers: controllers.split(','), path: path.join(':') || '/' };
  });
  // Unified (v2) only when the root is a cgroup2 mount with controllers (a hybrid host has an empty
  // "unified" hierarchy beside v1 ones, which limits nothing).
  if (existsSync(join(root, 'cgroup.controllers'))) {
    const path = membership.find((m) => m.controllers.length === 1 && m.controllers[0] === '')?.path ?? '/';
    const dirs = ancestry(root, path);
    return { version: 2, cpus: minOf(dirs.map(v2Cpu)), memoryBytes: minOf(dirs.map(v2Memory)) };
  }
  const v1 = (controller: string, limit: (dir: string) => number | null): number | null | undefined => {
    const mount = v1Mount(root, controller);
    if (!mount) return undefined;
    const path = membership.find((m) => m.controllers.includes(controller))?.path ?? '/';
    return minOf(ancestry(mount, path).map(limit));
  };
  const cpus = v1('cpu', v1Cpu);
  const memoryBytes = v1('memory', v1Memory);
  if (cpus === undefined && memoryBytes === undefined) return { version: null, cpus: null, memoryBytes: null };
  return { version: 1, cpus: cpus ?? null, memoryBytes: memoryBytes ?? null };
}

/** What `auto` sizes from: the host's cores and memory, capped by the cgroup's limits. */
export interface Capacity {
  /** Whole CPUs for counting processes (a 1.5-CPU quota gives 2: the quota, not the count, caps the use). */
  readonly cpuCount: number;
  /** CPUs as a resource amount (fractional). */
  readonly cpus: number;
  readonly memoryBytes: number;
}

export function machineCapacity(limits: CgroupLimits = readCgroupLimits()): Capacity {
  const cores = availableParallelism();
  const cpus = limits.cpus === null ? cores : Math.min(cores, Math.round(limits.cpus * 100) / 100);
  return { cpuCount: Math.max(1, Math.ceil(cpus)), cpus, memoryBytes: limits.memoryBytes === null ? totalmem() : Math.min(totalmem(), limits.memoryBytes) };
}
