// A task's resource use, as Mesos's `ResourceStatistics` (what `/monitor/statistics` and the agent
// call GET_CONTAINERS report): from the task's cgroup when it has one (the kernel's own accounting,
// which sees every process of the task), else summed over its process tree from /proc.
import { readFile } from 'node:fs/promises';
import { processTree, residentBytes } from './process-tree.js';
import type { RunningTask } from './agent.js';

export interface ResourceStatistics {
  readonly timestamp: number;
  readonly processes: number;
  readonly cpus_user_time_secs: number;
  readonly cpus_system_time_secs: number;
  readonly cpus_limit: number;
  readonly mem_rss_bytes: number;
  readonly mem_total_bytes: number;
  readonly mem_limit_bytes: number;
  readonly cpus_nr_periods?: number;
  readonly cpus_nr_throttled?: number;
  readonly cpus_throttled_time_secs?: number;
  readonly mem_file_bytes?: number;
  readonly mem_anon_bytes?: number;
}

/** Linux's USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream build). */
const CLOCK_TICKS = 100;

export async function taskStatistics(task: RunningTask): Promise<ResourceStatistics> {
  const limits = { cpus_limit: task.launch.resources.cpus, mem_limit_bytes: Math.round(task.launch.resources.mem * 1024 * 1024) };
  const timestamp = Date.now() / 1000;
  const dirs = task.cgroup?.dirs ?? [];
  const fromCgroup = dirs.length ? await cgroupStatistics(dirs) : null;
  const pids = task.pid === null ? [] : await processTree(task.pid);
  const cpu = await cpuTimes(pids);
  // v1 hosts often mount cpuacct apart from cpu, where the task has no group: its CPU time then comes from /proc.
  if (fromCgroup) return { timestamp, processes: pids.length, ...limits, cpus_user_time_secs: cpu.user, cpus_system_time_secs: cpu.system, ...fromCgroup };
  const rss = await residentBytes(pids);
  return {
    timestamp,
    processes: pids.length,
    ...limits,
    cpus_user_time_secs: cpu.user,
    cpus_system_time_secs: cpu.system,
    mem_rss_bytes: rss,
    mem_total_bytes: rss,
  };
}

type CgroupPart = Omit<
  ResourceStatistics,
  'timestamp' | 'processes' | 'cpus_limit' | 'mem_limit_bytes' | 'cpus_user_time_secs' | 'cpus_system_time_secs'
> & { cpus_user_time_secs?: number; cpus_system_time_secs?: number };

async function cgroupStatistics(dirs: readonly string[]): Promise<CgroupPart | null> {
  const read = async (file: string): Promise<string | null> => {
    for (const dir of dirs) {
      const text = await readFile(`${dir}/${file}`, 'latin1').catch(() => null);
      if (text !== null) return text;
    }
    return null;
  };
  const fields = (text: string | null): Map<string, number> =>
    new Map(
      (text ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => p.length === 2)
        .map(([k, v]) => [k!, Number(v)]),
    );
  // cgroup v2: cpu.stat in microseconds, memory.current and memory.stat in bytes.
  const cpuStat = await read('cpu.stat');
  const current = await read('memory.current');
  if (cpuStat !== null && current !== null) {
    const cpu = fields(cpuStat);
    const memory = fields(await read('memory.stat'));
    return {
      cpus_user_time_secs: (cpu.get('user_usec') ?? 0) / 1e6,
      cpus_system_time_secs: (cpu.get('system_usec') ?? 0) / 1e6,
      cpus_nr_periods: cpu.get('nr_periods') ?? 0,
      cpus_nr_throttled: cpu.get('nr_throttled') ?? 0,
      cpus_throttled_time_secs: (cpu.get('throttled_usec') ?? 0) / 1e6,
      mem_total_bytes: Number(current.trim()),
      mem_rss_bytes: memory.get('anon') ?? Number(current.trim()),
      mem_anon_bytes: memory.get('anon') ?? 0,
      mem_file_bytes: memory.get('file') ?? 0,
    };
  }
  // cgroup v1: cpuacct.stat in USER_HZ ticks (cpuacct is mounted with cpu), memory.usage_in_bytes.
  const usage = await read('memory.usage_in_bytes');
  if (usage === null) return null;
  const acctText = await read('cpuacct.stat');
  const acct = fields(acctText);
  const throttle = fields(await read('cpu.stat'));
  const memory = fields(await read('memory.stat'));
  return {
    ...(acctText === null
      ? {}
      : { cpus_user_time_secs: (acct.get('user') ?? 0) / CLOCK_TICKS, cpus_system_time_secs: (acct.get('system') ?? 0) / CLOCK_TICKS }),
    cpus_nr_periods: throttle.get('nr_periods') ?? 0,
    cpus_nr_throttled: throttle.get('nr_throttled') ?? 0,
    cpus_throttled_time_secs: (throttle.get('throttled_time') ?? 0) / 1e9,
    mem_total_bytes: Number(usage.trim()),
    mem_rss_bytes: memory.get('rss') ?? Number(usage.trim()),
    mem_anon_bytes: memory.get('rss') ?? 0,
    mem_file_bytes: memory.get('cache') ?? 0,
  };
}

/** User and system CPU seconds of the processes (utime and stime of /proc/<pid>/stat). */
async function cpuTimes(pids: readonly number[]): Promise<{ user: number; system: number }> {
  let user = 0;
  let system = 0;
  await Promise.all(pids.map(async (pid) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => null);
    if (!stat) return;
    // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(rest[11]) || 0;
    system += Number(rest[12]) || 0;
  }));
  return { user: user / CLOCK_TICKS, system: system / CLOCK_TICKS };
}
