// This machine's figures for `/metrics/v0/node` when the agent asked about is the embedded one (it
// runs here): cores, CPU use since the previous sample (/proc/stat), load, memory and swap
// (/proc/meminfo), the root filesystem (statfs), uptime and the process count.
import { readFile, readdir, statfs } from 'node:fs/promises';
import { cpus, loadavg, totalmem, freemem, uptime } from 'node:os';
import type { NodeFigures } from './datapoints.js';

interface CpuSample {
  readonly at: number;
  readonly user: number;
  readonly system: number;
  readonly idle: number;
  readonly wait: number;
  readonly total: number;
}

let previous: CpuSample | null = null;
/** A percentage needs two samples; an older first one than this is taken again, so the figure is recent. */
const SAMPLE_MAX_AGE_MS = 60_000;
const FIRST_SAMPLE_GAP_MS = 200;

export async function hostFigures(paths: readonly string[] = ['/']): Promise<NodeFigures> {
  const [cpuPercent, meminfo, filesystems, processes] = await Promise.all([cpuUse(), memInfo(), Promise.all(paths.map(filesystem)), processCount()]);
  const [l1, l5, l15] = loadavg() as [number, number, number];
  return {
    uptimeSecs: Math.round(uptime()),
    cpuCores: cpus().length,
    ...(cpuPercent ? { cpuPercent } : {}),
    load: { '1min': l1, '5min': l5, '15min': l15 },
    memory: {
      total: meminfo.get('MemTotal') ?? totalmem(),
      free: meminfo.get('MemFree') ?? freemem(),
      ...(meminfo.has('Buffers') ? { buffers: meminfo.get('Buffers')! } : {}),
      ...(meminfo.has('Cached') ? { cached: meminfo.get('Cached')! } : {}),
    },
    ...(meminfo.has('SwapTotal') && meminfo.has('SwapFree')
      ? { swap: { total: meminfo.get('SwapTotal')!, free: meminfo.get('SwapFree')!, used: meminfo.get('SwapTotal')! - meminfo.get('SwapFree')! } }
      : {}),
    filesystems: filesystems.filter((f): f is NonNullable<typeof f> => f !== null),
    ...(processes !== null ? { processes } : {}),
  };
}

async function cpuSample(): Promise<CpuSample | null> {
  const stat = await readFile('/proc/stat', 'latin1').catch(() => null);
  const line = stat?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  // user nice system idle iowait irq softirq steal (in USER_HZ ticks)
  const [user = 0, nice = 0, system = 0, idle = 0, wait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { at: Date.now(), user: user + nice, system: system + irq + softirq, idle, wait, total: user + nice + system + idle + wait + irq + softirq + steal };
}

async function cpuUse(): Promise<NodeFigures['cpuPercent'] | undefined> {
  let before = previous;
  if (!before || Date.now() - before.at > SAMPLE_MAX_AGE_MS) {
    before = await cpuSample();
    await new Promise((resolve) => setTimeout(resolve, FIRST_SAMPLE_GAP_MS));
  }
  const now = await cpuSample();
  if (!before || !now) return undefined;
  previous = now;
  const span = now.total - before.total;
  if (span <= 0) return undefined;
  const pct = (delta: number) => Math.round((delta / span) * 10_000) / 100;
  const idle = pct(now.idle - before.idle);
  const wait = pct(now.wait - before.wait);
  return { total: Math.round((100 - idle - wait) * 100) / 100, user: pct(now.user - before.user), system: pct(now.system - before.system), idle, wait };
}

async function memInfo(): Promise<Map<string, number>> {
  const text = await readFile('/proc/meminfo', 'latin1').catch(() => '');
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (match) fields.set(match[1]!, Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return fields;
}

async function filesystem(path: string): Promise<NonNullable<NodeFigures['filesystems']>[number] | null> {
  const fs = await statfs(path).catch(() => null);
  if (!fs) return null;
  const total = fs.blocks * fs.bsize;
  const free = fs.bavail * fs.bsize;
  return {
    path,
    total,
    used: total - fs.bfree * fs.bsize,
    free,
    inodes: { total: fs.files, used: fs.files - fs.ffree, free: fs.ffree },
  };
}

async function processCount(): Promise<number | null> {
  const entries = await readdir('/proc').catch(() => null);
  return entries ? entries.filter((e) => /^\d+$/.test(e)).length : null;
}
