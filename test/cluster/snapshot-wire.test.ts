// A snapshot's wire form (what the primary sends its gateway workers): the same snapshot comes out,
// frozen, with equal string lists shared, and held in less memory than the structured clone it replaces.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMasterState, snapshotFromWire, snapshotToWire, tasksOf, type Snapshot } from '../../cluster/index.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';
import { masterState, type TaskSpec } from '../support/master-state.js';

const AGENTS = ['wire-agent-S0', 'wire-agent-S1', 'wire-agent-S2'];
const CLUSTER_DIST = fileURLToPath(new URL('../../dist/cluster/index.js', import.meta.url));
const GEN_STATE = fileURLToPath(new URL('../../bench/gen-state.mjs', import.meta.url));

async function manyTasks(count: number): Promise<Snapshot> {
  const tasks: TaskSpec[] = Array.from({ length: count }, (_, i) => ({
    id: `app${Math.floor(i / 5)}.${i.toString(16).padStart(8, '0')}-0b4a-11f1-9c1d-0242ac110002`,
    name: `app${Math.floor(i / 5)}`,
    agent: AGENTS[i % AGENTS.length]!,
    ports: `[${31000 + (i % 1000)}-${31000 + (i % 1000)}]`,
    statuses: [{ timestamp: 1_700_000_000 + i, networks: [{ ips: [`172.16.${(i >> 8) & 255}.${i & 255}`] }] }],
    discovery: { name: `app${Math.floor(i / 5)}`, ports: [{ number: 8080, name: 'http', protocol: 'tcp' }] },
  }));
  const doc = masterState({
    leader: 'master@10.0.0.1:5050',
    agents: AGENTS.map((id, i) => ({ id, host: `10.10.0.${i + 1}`, hostname: `agent-${i}.test` })),
    frameworks: [{ id: 'fw-wire', name: 'marathon', pid: 'scheduler@10.0.0.1:8080', tasks }],
  });
  const data = await parseMasterState(doc, { source: { kind: 'file', origin: 'wire-test' }, fetchedAt: 1, resolveHost: async () => [] });
  return Object.freeze({ ...data, generation: 3 });
}

function unfrozen(value: unknown, path = 'snapshot'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([key, item]) => unfrozen(item, `${path}.${key}`))];
}

const cases: { name: string; snapshot: () => Promise<Snapshot> }[] = [
  {
    name: 'the harbor fixture (VIPs, IPv6, labels, discovery, several frameworks)',
    snapshot: async () => Object.freeze({ ...(await fixtureSnapshot(HARBOR)), generation: 9 }),
  },
  { name: '200 tasks on 3 agents', snapshot: () => manyTasks(200) },
];

describe('snapshot wire form', () => {
  for (const c of cases) {
    it(`${c.name}: comes back equal and frozen through and through`, async () => {
      const snapshot = await c.snapshot();
      const back = snapshotFromWire(snapshotToWire(snapshot));
      expect(back).toEqual(snapshot);
      expect(unfrozen(back)).toEqual([]);
    });
  }

  it('tasks of one agent share that agent\'s IP list again (one list, not one per task)', async () => {
    const back = snapshotFromWire(snapshotToWire(await manyTasks(30)));
    const onFirst = tasksOf(back).filter((t) => t.agentId === AGENTS[0]);
    expect(onFirst.length).toBe(10);
    expect(onFirst[0]!.ips.host).toEqual(['10.10.0.1']);
    for (const task of onFirst) expect(task.ips.host).toBe(onFirst[0]!.ips.host);
    expect(onFirst[0]!.ips.host).toBe(back.agents[0]!.ips);
  });

  // In a process of its own (test files share this one, and their garbage moved the numbers): the
  // built module (needs `npm run build`) and the bench's state generator, 3,000 tasks.
  it('holds less heap than the structured clone a worker received before (frozen lists arrived as dictionaries)', () => {
    const script = `
      import v8 from 'node:v8';
      const { parseMasterState, snapshotFromWire, snapshotToWire } = await import(${JSON.stringify(CLUSTER_DIST)});
      const { generateState } = await import(${JSON.stringify(GEN_STATE)});
      const source = { kind: 'file', origin: 'x' };
      const data = await parseMasterState(generateState(3000), { source, fetchedAt: 1, resolveHost: async () => [] });
      const snapshot = Object.freeze({ ...data, generation: 1 });
      const used = () => { gc(); gc(); return v8.getHeapStatistics().used_heap_size; };
      const held = (make) => { const before = used(); const kept = make(); const after = used(); return kept ? after - before : 0; };
      // The median of five: a reading can be off either way (on a starved machine one held 0.5 MB of garbage
      // the GC had not swept yet; one clone read 2.3 MB where it holds 3.0), and the least of three once
      // took such a low clone reading and failed the comparison.
      const median = (make) => [0, 1, 2, 3, 4].map(() => held(make)).sort((a, b) => a - b)[2];
      const clone = median(() => v8.deserialize(v8.serialize(snapshot)));
      const wire = median(() => snapshotFromWire(snapshotToWire(snapshot)));
      process.stdout.write(JSON.stringify({ clone, wire }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { clone, wire } = JSON.parse(out) as Record<string, number>;
    // Measured on Node 20: two thirds (3.0 against 4.6 MB at 5,000 tasks; before tasks shared their
    // DiscoveryInfo, half). Node 22+'s V8 clones frozen arrays as arrays, not dictionaries: there the two
    // hold about the same (1.95 against 2.0 MB at 3,000 tasks), and the gain is one serialization for
    // all workers instead of one each: not more than the clone there (5% for the GC's noise).
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect(clone, out).toBeGreaterThan(0);
    expect(wire, out).toBeLessThanOrEqual(clone! * (nodeMajor < 22 ? 0.8 : 1.05));
  });
});
