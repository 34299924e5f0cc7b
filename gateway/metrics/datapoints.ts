// dcos-metrics v0's JSON: `{ datapoints: [{ name, value, unit, timestamp, tags? }], dimensions }`,
// built from what a Mesos agent reports. A container's datapoints are its ResourceStatistics
// (`/monitor/statistics`) named as DC/OS 1.12+ names them (the telegraf dcos_containers input under
// the dcos-metrics v0 API): the field's group, a dot, the rest (`cpus_user_time_secs` becomes
// `cpus.user_time_secs`), which are the names `dcos task metrics summary` looks for. A node's are the
// figures dcos-metrics' node collector reports (`load.1min`, `memory.total`, `filesystem.capacity.used`…).

export interface Datapoint {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** RFC 3339, UTC. */
  readonly timestamp: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface MetricsMessage {
  readonly datapoints: readonly Datapoint[];
  readonly dimensions: Readonly<Record<string, unknown>>;
}

/** Groups of ResourceStatistics fields; any other numeric field is a `container.` one (processes, threads). */
const GROUPS = ['cpus', 'mem', 'disk', 'net', 'blkio', 'perf'] as const;

/** The unit dcos-metrics gives a name: by its suffix. */
export function unitOf(field: string): string {
  if (/_secs$/.test(field)) return 'seconds';
  if (/_bytes$/.test(field)) return 'bytes';
  return 'count';
}

/** The dcos-metrics name of a ResourceStatistics field: `mem_total_bytes` → `mem.total_bytes`. */
export function datapointName(field: string): string {
  const group = GROUPS.find((g) => field.startsWith(`${g}_`));
  return group ? `${group}.${field.slice(group.length + 1)}` : `container.${field}`;
}

/**
 * Every numeric field of a ResourceStatistics object, as datapoints stamped with its `timestamp`
 * (seconds since the epoch, Mesos's unit). Nested objects (per-volume disk statistics, traffic
 * control, perf samples) are left out: dcos-metrics' container datapoints are flat.
 */
export function containerDatapoints(statistics: Readonly<Record<string, unknown>>, now = Date.now()): Datapoint[] {
  const at = typeof statistics['timestamp'] === 'number' && statistics['timestamp'] > 0 ? statistics['timestamp'] * 1000 : now;
  const timestamp = new Date(at).toISOString();
  const points: Datapoint[] = [];
  for (const [field, value] of Object.entries(statistics)) {
    if (field === 'timestamp' || typeof value !== 'number' || !Number.isFinite(value)) continue;
    points.push({ name: datapointName(field), value, unit: unitOf(field), timestamp });
  }
  return points;
}

/** What is known of a node; each absent figure is left out rather than reported as 0. */
export interface NodeFigures {
  readonly uptimeSecs?: number;
  readonly cpuCores?: number;
  /** Percent of all cores' time since the last sample: busy, user, system, idle, I/O wait. */
  readonly cpuPercent?: { readonly total: number; readonly user: number; readonly system: number; readonly idle: number; readonly wait: number };
  readonly load?: { readonly '1min': number; readonly '5min': number; readonly '15min': number };
  readonly memory?: { readonly total: number; readonly free: number; readonly buffers?: number; readonly cached?: number };
  readonly swap?: { readonly total: number; readonly free: number; readonly used: number };
  readonly filesystems?: readonly {
    readonly path: string;
    readonly total: number;
    readonly used: number;
    readonly free: number;
    readonly inodes?: { readonly total: number; readonly used: number; readonly free: number };
  }[];
  readonly processes?: number;
}

export function nodeDatapoints(figures: NodeFigures, now = Date.now()): Datapoint[] {
  const timestamp = new Date(now).toISOString();
  const points: Datapoint[] = [];
  const add = (name: string, value: number | undefined, unit: string, tags?: Record<string, string>): void => {
    if (value === undefined || !Number.isFinite(value)) return;
    points.push({ name, value, unit, timestamp, ...(tags ? { tags } : {}) });
  };
  add('uptime', figures.uptimeSecs, 'count');
  add('cpu.cores', figures.cpuCores, 'count');
  for (const key of ['total', 'user', 'system', 'idle', 'wait'] as const) add(`cpu.${key}`, figures.cpuPercent?.[key], 'percent');
  for (const key of ['1min', '5min', '15min'] as const) add(`load.${key}`, figures.load?.[key], 'count');
  for (const key of ['total', 'free', 'buffers', 'cached'] as const) add(`memory.${key}`, figures.memory?.[key], 'bytes');
  for (const key of ['total', 'free', 'used'] as const) add(`swap.${key}`, figures.swap?.[key], 'bytes');
  for (const fs of figures.filesystems ?? []) {
    for (const key of ['total', 'used', 'free'] as const) add(`filesystem.capacity.${key}`, fs[key], 'bytes', { path: fs.path });
    for (const key of ['total', 'used', 'free'] as const) add(`filesystem.inode.${key}`, fs.inodes?.[key], 'count', { path: fs.path });
  }
  add('process.count', figures.processes, 'count');
  return points;
}

/**
 * A Mesos agent's `/metrics/snapshot` as node figures: `system/*` are the host's own (cores, load,
 * memory), which every Mesos agent reports.
 */
export function figuresFromSnapshot(snapshot: Readonly<Record<string, unknown>>): NodeFigures {
  const n = (key: string): number | undefined => (typeof snapshot[key] === 'number' ? snapshot[key] : undefined);
  const [load1, load5, load15] = [n('system/load_1min'), n('system/load_5min'), n('system/load_15min')];
  const [memTotal, memFree] = [n('system/mem_total_bytes'), n('system/mem_free_bytes')];
  return {
    ...(n('system/cpus_total') !== undefined ? { cpuCores: n('system/cpus_total')! } : {}),
    ...(load1 !== undefined && load5 !== undefined && load15 !== undefined ? { load: { '1min': load1, '5min': load5, '15min': load15 } } : {}),
    ...(memTotal !== undefined && memFree !== undefined ? { memory: { total: memTotal, free: memFree } } : {}),
  };
}
