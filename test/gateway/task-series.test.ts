// The per-task Prometheus series against an agent served in-process (real-format Mesos
// `/monitor/statistics`): one series set per running task with its labels, a task that ended gone at
// the next collection, the cap with its counter, an agent that fails counted, scrapes close together
// sharing one collection.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot, type SnapshotView } from '../../cluster/index.js';
import { TaskSeries } from '../../gateway/index.js';

let agent: Server;
let port: number;
let requests = 0;
let failing = false;
const statistics = (id: string, user: number) => ({
  executor_id: id,
  executor_name: `Command Executor (Task: ${id})`,
  framework_id: 'fw-1',
  source: id,
  statistics: { timestamp: 1, cpus_user_time_secs: user, cpus_system_time_secs: 0.5, cpus_limit: 0.25, mem_rss_bytes: 1000, mem_total_bytes: 2000, mem_limit_bytes: 4096 },
});

beforeAll(async () => {
  agent = createServer((req, res) => {
    requests++;
    if (failing) return void res.writeHead(500).end('broken');
    const body = JSON.stringify([statistics('a.1', 1), statistics('b.1', 2), statistics('c.1', 3), statistics('other-executor', 9)]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  port = (agent.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => agent.close(resolve)));

async function snapshotOf(running: string[]): Promise<Snapshot> {
  const doc = {
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'S0', pid: `slave(1)@127.0.0.1:${port}`, hostname: 'agent-host', resources: {} }],
    frameworks: [{
      id: 'fw-1', name: 'marathon',
      tasks: ['a.1', 'b.1', 'c.1'].map((id) => ({
        id, name: id.split('.')[0], framework_id: 'fw-1', slave_id: 'S0', state: running.includes(id) ? 'TASK_RUNNING' : 'TASK_KILLED', statuses: [],
      })),
    }],
  };
  return { ...(await parseMasterState(doc, { source: { kind: 'mesos', origin: 'test' }, fetchedAt: 0, resolveHost: async () => ['127.0.0.1'] })), generation: 1 };
}

function view(snapshot: Snapshot): SnapshotView & { current: Snapshot } {
  return { current: snapshot, status: () => ({ state: 'fresh' }) as any, subscribe: () => () => undefined };
}

const lines = (text: string, metric: string) => text.split('\n').filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `));

describe('TaskSeries', () => {
  it('exports CPU seconds by mode, memory and limits per running task, labelled; a task that ended is gone next time', async () => {
    const store = view(await snapshotOf(['a.1', 'b.1']));
    const registry = new Registry();
    new TaskSeries({ store, registry, minIntervalMs: 0 });
    const text = await registry.metrics();
    expect(lines(text, 'gatehouse_task_cpu_seconds_total')).toEqual([
      'gatehouse_task_cpu_seconds_total{task_id="a.1",task_name="a",framework="marathon",agent_id="S0",mode="user"} 1',
      'gatehouse_task_cpu_seconds_total{task_id="a.1",task_name="a",framework="marathon",agent_id="S0",mode="system"} 0.5',
      'gatehouse_task_cpu_seconds_total{task_id="b.1",task_name="b",framework="marathon",agent_id="S0",mode="user"} 2',
      'gatehouse_task_cpu_seconds_total{task_id="b.1",task_name="b",framework="marathon",agent_id="S0",mode="system"} 0.5',
    ]);
    expect(lines(text, 'gatehouse_task_memory_bytes')).toHaveLength(2);
    expect(lines(text, 'gatehouse_task_memory_bytes')[0]).toMatch(/task_id="a.1".* 2000$/);
    expect(lines(text, 'gatehouse_task_memory_limit_bytes')[0]).toMatch(/ 4096$/);
    expect(lines(text, 'gatehouse_task_cpus_limit')[0]).toMatch(/ 0.25$/);

    store.current = await snapshotOf(['b.1']);
    const after = await registry.metrics();
    expect(lines(after, 'gatehouse_task_memory_bytes').map((l) => /task_id="([^"]+)"/.exec(l)![1])).toEqual(['b.1']);
  });

  it('past the cap the rest are counted, not exported', async () => {
    const registry = new Registry();
    new TaskSeries({ store: view(await snapshotOf(['a.1', 'b.1', 'c.1'])), registry, maxTasks: 2, minIntervalMs: 0 });
    const text = await registry.metrics();
    expect(lines(text, 'gatehouse_task_memory_bytes')).toHaveLength(2);
    expect(lines(text, 'gatehouse_task_series_dropped_total')).toEqual(['gatehouse_task_series_dropped_total 1']);
  });

  it('an agent that fails is counted and its tasks have no series', async () => {
    const registry = new Registry();
    new TaskSeries({ store: view(await snapshotOf(['a.1'])), registry, minIntervalMs: 0 });
    failing = true;
    try {
      const text = await registry.metrics();
      expect(lines(text, 'gatehouse_task_memory_bytes')).toEqual([]);
      expect(lines(text, 'gatehouse_task_statistics_failures_total')).toEqual(['gatehouse_task_statistics_failures_total 1']);
    } finally {
      failing = false;
    }
  });

  it('scrapes within the interval share one collection: one agent request for every metric of several scrapes', async () => {
    const registry = new Registry();
    new TaskSeries({ store: view(await snapshotOf(['a.1'])), registry, minIntervalMs: 60_000 });
    const before = requests;
    await registry.metrics();
    await registry.metrics();
    expect(requests - before).toBe(1);
  });
});
