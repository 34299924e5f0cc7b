// The conversion of what a Mesos agent reports into dcos-metrics v0 datapoints: a container's
// ResourceStatistics (`/monitor/statistics`) under the names `dcos task metrics` reads, and a node's
// figures (`/metrics/snapshot`, or this machine's) under dcos-metrics' node names.
import { describe, expect, it } from 'vitest';
import { containerDatapoints, datapointName, figuresFromSnapshot, nodeDatapoints, unitOf } from '../../gateway/metrics/datapoints.js';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

describe('ResourceStatistics field → datapoint name and unit', () => {
  it.each([
    { name: 'user CPU time', field: 'cpus_user_time_secs', datapoint: 'cpus.user_time_secs', unit: 'seconds' },
    { name: 'system CPU time', field: 'cpus_system_time_secs', datapoint: 'cpus.system_time_secs', unit: 'seconds' },
    { name: 'throttled time', field: 'cpus_throttled_time_secs', datapoint: 'cpus.throttled_time_secs', unit: 'seconds' },
    { name: 'CPU limit', field: 'cpus_limit', datapoint: 'cpus.limit', unit: 'count' },
    { name: 'throttled periods', field: 'cpus_nr_throttled', datapoint: 'cpus.nr_throttled', unit: 'count' },
    { name: 'memory in use', field: 'mem_total_bytes', datapoint: 'mem.total_bytes', unit: 'bytes' },
    { name: 'memory limit', field: 'mem_limit_bytes', datapoint: 'mem.limit_bytes', unit: 'bytes' },
    { name: 'resident memory', field: 'mem_rss_bytes', datapoint: 'mem.rss_bytes', unit: 'bytes' },
    { name: 'disk used', field: 'disk_used_bytes', datapoint: 'disk.used_bytes', unit: 'bytes' },
    { name: 'received packets', field: 'net_rx_packets', datapoint: 'net.rx_packets', unit: 'count' },
    { name: 'processes (no group)', field: 'processes', datapoint: 'container.processes', unit: 'count' },
    { name: 'a field whose name only starts like a group', field: 'memory_x', datapoint: 'container.memory_x', unit: 'count' },
  ])('$name: $field → $datapoint ($unit)', ({ field, datapoint, unit }) => {
    expect(datapointName(field)).toBe(datapoint);
    expect(unitOf(field)).toBe(unit);
  });
});

describe('containerDatapoints', () => {
  it.each([
    {
      name: 'a command task from /proc: every numeric field, stamped with the statistics timestamp',
      statistics: { timestamp: AT / 1000, processes: 2, cpus_user_time_secs: 1.5, cpus_system_time_secs: 0.25, cpus_limit: 0.1, mem_rss_bytes: 4096 },
      expected: [
        { name: 'container.processes', value: 2, unit: 'count' },
        { name: 'cpus.user_time_secs', value: 1.5, unit: 'seconds' },
        { name: 'cpus.system_time_secs', value: 0.25, unit: 'seconds' },
        { name: 'cpus.limit', value: 0.1, unit: 'count' },
        { name: 'mem.rss_bytes', value: 4096, unit: 'bytes' },
      ],
    },
    {
      name: 'nested objects, strings, NaN and infinities are left out',
      statistics: { timestamp: AT / 1000, mem_total_bytes: 10, disk_statistics: [{ limit_bytes: 1 }], perf: { cycles: 3 }, cpus_limit: Number.NaN, x: 'y', y: Infinity },
      expected: [{ name: 'mem.total_bytes', value: 10, unit: 'bytes' }],
    },
    { name: 'an empty statistics object gives no datapoints', statistics: { timestamp: AT / 1000 }, expected: [] },
  ])('$name', ({ statistics, expected }) => {
    const points = containerDatapoints(statistics, 0);
    expect(points).toEqual(expected.map((p) => ({ ...p, timestamp: new Date(AT).toISOString() })));
  });

  it('without a timestamp the datapoints are stamped now', () => {
    expect(containerDatapoints({ cpus_limit: 1 }, AT)).toEqual([{ name: 'cpus.limit', value: 1, unit: 'count', timestamp: '2026-01-02T03:04:05.000Z' }]);
  });
});

describe('nodeDatapoints', () => {
  it.each([
    {
      name: 'load, memory and a filesystem (tagged with its path), in dcos-metrics\' names and units',
      figures: {
        cpuCores: 4,
        load: { '1min': 0.5, '5min': 0.25, '15min': 0.125 },
        memory: { total: 8e9, free: 2e9 },
        filesystems: [{ path: '/', total: 100, used: 40, free: 60 }],
      },
      expected: [
        ['cpu.cores', 4, 'count'], ['load.1min', 0.5, 'count'], ['load.5min', 0.25, 'count'], ['load.15min', 0.125, 'count'],
        ['memory.total', 8e9, 'bytes'], ['memory.free', 2e9, 'bytes'],
        ['filesystem.capacity.total', 100, 'bytes', '/'], ['filesystem.capacity.used', 40, 'bytes', '/'], ['filesystem.capacity.free', 60, 'bytes', '/'],
      ],
    },
    {
      name: 'CPU use is in percent',
      figures: { cpuPercent: { total: 30, user: 20, system: 10, idle: 70, wait: 0 } },
      expected: [['cpu.total', 30, 'percent'], ['cpu.user', 20, 'percent'], ['cpu.system', 10, 'percent'], ['cpu.idle', 70, 'percent'], ['cpu.wait', 0, 'percent']],
    },
    { name: 'nothing known gives no datapoints (never a made-up 0)', figures: {}, expected: [] },
  ])('$name', ({ figures, expected }) => {
    const points = nodeDatapoints(figures, AT);
    expect(points.map((p) => [p.name, p.value, p.unit, ...(p.tags ? [p.tags['path']] : [])])).toEqual(expected);
    for (const p of points) expect(p.timestamp).toBe('2026-01-02T03:04:05.000Z');
  });
});

describe('figuresFromSnapshot (a Mesos agent\'s /metrics/snapshot)', () => {
  it.each([
    {
      name: 'system/* keys become cores, load and memory',
      snapshot: {
        'system/cpus_total': 2, 'system/load_1min': 1, 'system/load_5min': 2, 'system/load_15min': 3,
        'system/mem_total_bytes': 1000, 'system/mem_free_bytes': 400, 'slave/cpus_total': 8,
      },
      expected: { cpuCores: 2, load: { '1min': 1, '5min': 2, '15min': 3 }, memory: { total: 1000, free: 400 } },
    },
    { name: 'an incomplete load or memory is left out', snapshot: { 'system/load_1min': 1, 'system/mem_total_bytes': 5 }, expected: {} },
    { name: 'non-numbers are ignored', snapshot: { 'system/cpus_total': '2' }, expected: {} },
  ])('$name', ({ snapshot, expected }) => {
    expect(figuresFromSnapshot(snapshot)).toEqual(expected);
  });
});
