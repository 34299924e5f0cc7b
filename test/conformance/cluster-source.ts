// One conformance suite for every cluster source: whatever the origin (a master over HTTP, a file),
// a source publishes whole snapshots, follows changes, and keeps the last good snapshot when the
// origin turns bad. Each source's test file runs it with a harness for its own origin.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore, tasksOf, type ClusterSource, type Snapshot } from '../../cluster/index.js';
import {
  crowdedState,
  discoveryVipState,
  dockerBridgeState,
  emptyState,
  healthCheckVipState,
  idleAgentState,
  overlayState,
  ucrBridgeAgentState,
} from '../support/cluster-states.js';
import { HARBOR, fixtureJson } from '../support/fixtures.js';

export interface SourceHarness {
  /** Makes the origin serve this document next (an object is served as JSON, a string as is). */
  serve(document: object | string): Promise<void>;
  /** A source reading the origin into `store`. */
  source(store: ClusterStore): ClusterSource;
  close(): Promise<void>;
}

// Every shape of state document the project holds: the hand-written one and the generated ones.
// The task counts are counted by hand: every entry of frameworks[].tasks, running or not; an agent's
// /state has its tasks under executors, which a master-state reader does not look at.
const STATES: [string, () => Promise<Record<string, unknown>>, number][] = [
  ['harbor.json (hand-written)', () => fixtureJson(HARBOR), 10],
  ['a Docker bridge task', async () => dockerBridgeState(), 1],
  ['overlay tasks of two same-named schedulers', async () => overlayState(), 2],
  ['DiscoveryInfo ports with VIP labels', async () => discoveryVipState(), 1],
  ['health checks with legacy VIP labels', async () => healthCheckVipState(), 4],
  ["an agent's /state (UCR bridge mode)", async () => ucrBridgeAgentState(), 0],
  ["an idle agent's /state", async () => idleAgentState(), 0],
  ['an empty cluster', async () => emptyState(), 0],
  ['a crowded state (100 instances, 1000 completed tasks)', async () => crowdedState(), 101],
];

export function sourceConformance(kind: string, makeHarness: () => Promise<SourceHarness>): void {
  describe(`${kind} source conformance`, () => {
    let harness: SourceHarness | null = null;
    let source: ClusterSource | null = null;
    afterEach(async () => {
      await source?.close();
      await harness?.close();
      source = null;
      harness = null;
    });

    async function setup(first: object | string) {
      harness = await makeHarness();
      await harness.serve(first);
      const registry = new Registry();
      const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }), registry });
      source = harness.source(store);
      return { store, registry };
    }
    // The fixture's leader is an address we must not contact from here: point it at no one.
    const withoutLeader = (doc: Record<string, unknown>): Record<string, unknown> => ({ ...doc, leader: undefined });

    for (const [name, state, taskCount] of STATES) {
      it(`publishes a snapshot from ${name}`, async () => {
        const doc = withoutLeader(await state());
        const { store } = await setup(doc);
        expect(await source!.refresh()).toBe(true);
        const snapshot = store.current!;
        expect(snapshot.generation).toBe(1);
        expect(snapshot.source.kind).toBe(kind);
        expect(tasksOf(snapshot).length).toBe(taskCount);
        expect(Object.isFrozen(snapshot)).toBe(true);
      });
    }

    it('follows a change with a new generation', async () => {
      const doc = withoutLeader(await fixtureJson(HARBOR));
      const { store } = await setup(doc);
      const seen: Snapshot[] = [];
      store.subscribe((s) => seen.push(s));
      await source!.refresh();
      const frameworks = doc['frameworks'] as { tasks: { state: string }[] }[];
      frameworks[0]!.tasks[0]!.state = 'TASK_KILLED';
      await harness!.serve(doc);
      await source!.refresh();
      expect(seen.map((s) => s.generation)).toEqual([1, 2]);
      expect(tasksOf(seen[1]!)[0]!.state).toBe('TASK_KILLED');
    });

    const badDocuments: [string, string][] = [
      ['garbage that is not JSON', '{"frameworks": [ nope'],
      ['JSON that is not an object', '[1, 2, 3]'],
      ['an object that is not a Mesos state', '{"hello": "world"}'],
      ['frameworks of the wrong type', '{"frameworks": "many", "leader": "master@127.0.0.1:5050"}'],
      ['an empty body', ''],
    ];
    for (const [name, body] of badDocuments) {
      it(`keeps the last good snapshot and counts the failure: ${name}`, async () => {
        const { store, registry } = await setup(withoutLeader(await fixtureJson(HARBOR)));
        await source!.refresh();
        await harness!.serve(body);
        expect(await source!.refresh()).toBe(false);
        expect(store.current!.generation).toBe(1);
        expect(tasksOf(store.current!).length).toBeGreaterThan(0);
        expect(store.status().lastError).toBeTruthy();
        const failures = (await registry.getSingleMetric('gatehouse_cluster_fetch_failures_total')!.get()).values;
        expect(failures.reduce((n, v) => n + v.value, 0)).toBe(1);
      });
    }

    it('tolerates wrong types inside entries (skipped, never a TypeError)', async () => {
      const doc = {
        slaves: [{ id: 'a-S0', pid: 'slave(1)@127.0.0.1:5051' }, { id: 42 }, null, 'x'],
        frameworks: [
          {
            id: 'f',
            name: 'marathon',
            pid: 12,
            tasks: [
              null,
              7,
              { id: 't1', name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING', resources: { ports: 5 }, statuses: 'no', discovery: [] },
              { name: 'no-id' },
            ],
          },
          'not a framework',
        ],
      };
      const { store } = await setup(doc);
      expect(await source!.refresh()).toBe(true);
      const tasks = tasksOf(store.current!);
      expect(tasks.map((t) => t.id)).toEqual(['t1']);
      expect(tasks[0]!.resources.ports).toEqual([]);
      expect(tasks[0]!.ips.host).toEqual(['127.0.0.1']);
    });
  });
}
