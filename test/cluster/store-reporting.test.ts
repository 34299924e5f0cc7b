// What the store reports beside the snapshot: a failed fetch keeps the snapshot and says which origin
// failed and why (status, log, failure counter by source), an unsubscribed listener hears nothing more,
// a throwing subscriber is logged, and the gauges read the current snapshot. Written for what mutation
// testing found unchecked (store.test.ts covers generations, staleness and option checks).
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ClusterStore, type SnapshotData } from '../../cluster/index.js';

const data = (fetchedAt: number, kind: 'file' | 'mesos' = 'file'): SnapshotData => ({
  fetchedAt,
  source: { kind, origin: 't' },
  clusterName: null,
  leader: null,
  masters: [],
  agents: [],
  frameworks: [],
  apps: [],
});

function capture(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  return { logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), lines };
}

async function metric(registry: Registry, name: string): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (found?.values ?? []).map((v) => ({ labels: { ...v.labels }, value: v.value }));
}

describe('ClusterStore reporting', () => {
  it('a failed fetch: the snapshot stays, the status names the origin and reason, the log and the counter say so', async () => {
    const registry = new Registry();
    const { logger, lines } = capture();
    const store = new ClusterStore({ staleAfterMs: 1000, unusableAfterMs: 2000, logger, registry });
    store.publish(data(Date.now(), 'mesos'));
    store.fail('http://m:5050', new Error('HTTP 500'), 'local');
    store.fail('http://m:5050', 'timed out');
    expect(store.current!.generation).toBe(1);
    expect(store.status().lastError).toBe('http://m:5050: timed out');
    expect(lines.filter((l) => l.msg === 'cluster state fetch failed; keeping the last good snapshot').map((l) => [l.origin, l.reason, l.generation])).toEqual([
      ['http://m:5050', 'HTTP 500', 1],
      ['http://m:5050', 'timed out', 1],
    ]);
    expect(await metric(registry, 'gatehouse_cluster_fetch_failures_total')).toEqual([
      { labels: { source: 'local' }, value: 1 },
      { labels: { source: 'mesos' }, value: 1 },
    ]);
    expect(await metric(registry, 'gatehouse_cluster_fetch_successes_total')).toEqual([{ labels: { source: 'mesos' }, value: 1 }]);
  });

  it('a failure before any snapshot logs generation 0', () => {
    const { logger, lines } = capture();
    new ClusterStore({ staleAfterMs: 1000, unusableAfterMs: 2000, logger }).fail('o', new Error('e'));
    expect(lines.map((l) => l.generation)).toEqual([0]);
  });

  it('an unsubscribed listener hears nothing more; a throwing one is logged with the generation', () => {
    const { logger, lines } = capture();
    const store = new ClusterStore({ staleAfterMs: 1000, unusableAfterMs: 2000, logger });
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => seen.push(s.generation));
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.publish(data(Date.now()));
    unsubscribe();
    store.publish(data(Date.now()));
    expect(seen).toEqual([1]);
    expect(lines.filter((l) => l.msg === 'a snapshot subscriber failed').map((l) => [l.generation, l.err?.message])).toEqual([
      [1, 'boom'],
      [2, 'boom'],
    ]);
  });

  it('the gauges read the current snapshot: age, generation, tasks, usable', async () => {
    const registry = new Registry();
    let now = 1_000_000;
    const store = new ClusterStore({ staleAfterMs: 10_000, unusableAfterMs: 20_000, logger: pino({ level: 'silent' }), registry, now: () => now });
    const gauges = async () => ({
      age: (await metric(registry, 'gatehouse_cluster_snapshot_age_seconds'))[0]?.value,
      generation: (await metric(registry, 'gatehouse_cluster_snapshot_generation'))[0]?.value,
      tasks: (await metric(registry, 'gatehouse_cluster_tasks'))[0]?.value,
      usable: (await metric(registry, 'gatehouse_cluster_snapshot_usable'))[0]?.value,
    });
    expect(await gauges()).toEqual({ age: -1, generation: 0, tasks: 0, usable: 0 });
    const task = { id: 't1', name: 't', state: 'TASK_RUNNING' };
    store.publish({ ...data(now), frameworks: [{ id: 'f', name: 'm', tasks: [task, { ...task, id: 't2' }] }] } as unknown as SnapshotData);
    now += 2_500;
    expect(await gauges()).toEqual({ age: 2.5, generation: 1, tasks: 2, usable: 1 });
    now += 20_000;
    expect(await gauges()).toMatchObject({ usable: 0 });
  });
});
