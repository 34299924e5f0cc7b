// A big state document (thousands of tasks, megabytes) that is over the size limit or broken keeps
// the last good snapshot serving, with an error that says what is wrong; a good big one replaces it.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore, FileSource } from '../../cluster/index.js';
import { masterState, type TaskSpec } from '../support/master-state.js';
import { until } from '../support/until.js';

const AGENT = '3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d-S9';

function bigState(tasks: number): string {
  const specs: TaskSpec[] = Array.from({ length: tasks }, (_, i) => ({
    id: `svc${i % 500}.${i.toString(16).padStart(8, '0')}-5c6d-11ee-8e7f-0242ac110002`,
    name: `svc${i % 500}`,
    agent: AGENT,
    ports: `[${31000 + (i % 1000)}-${31000 + (i % 1000)}]`,
    labels: { owner: `team-${i % 17}`, note: 'x'.repeat(200) },
    statuses: [{ timestamp: 1_700_000_000 + i, networks: [{ ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] }] }],
  }));
  return JSON.stringify(
    masterState({
      leader: 'master@127.0.0.1:5050',
      agents: [{ id: AGENT, host: '10.200.0.9', hostname: 'agent-9.test' }],
      frameworks: [{ id: 'fw-big', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks: specs }],
    }),
  );
}

let dir: string;
let path: string;
let store: ClusterStore;
let source: FileSource;
const MAX_BYTES = 4 << 20;

// The file is read on demand after each replacement: what is tested here is what a big document does
// to the source and the store, not how soon the watch notices it (the file-source tests cover that; a
// rare case where a replacement was never read under this test's 200 ms poll is still being looked at).
async function replace(text: string): Promise<void> {
  await writeFile(`${path}.next`, text);
  await rename(`${path}.next`, path);
  await source.refresh();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-big-state-'));
  path = join(dir, 'state.json');
  await writeFile(path, bigState(3000));
  store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }) });
  source = new FileSource({ path, store, logger: pino({ level: 'silent' }), debounceMs: 20, pollMs: 200, maxBytes: MAX_BYTES, resolveHost: async () => [] });
  await source.start();
});

afterAll(async () => {
  await source?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a big state that cannot be used keeps the last good snapshot', () => {
  const cases: { name: string; text: () => string; error: RegExp }[] = [
    { name: 'over cluster.file size limit', text: () => bigState(12_000), error: /state\.json: \d+ bytes is over the limit of 4194304/ },
    { name: 'cut off in the middle (not JSON)', text: () => bigState(8_000).slice(0, 2_500_000), error: /state\.json: not JSON \(.*JSON/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const before = store.current!;
      expect(before.frameworks[0]!.tasks.length).toBeGreaterThan(0);
      const text = c.text();
      expect(text.length).toBeGreaterThan(2_000_000);
      await replace(text);
      const status = await until(async () => store.status(), (s) => s.lastError !== null, 10_000);
      expect(status.lastError).toMatch(c.error);
      expect(store.current).toBe(before);
      // The good document again: the error clears and a new snapshot is served.
      await replace(bigState(3000 + before.generation));
      await until(async () => store.current!.generation, (g) => g > before.generation, 10_000);
      expect(store.status().lastError).toBeNull();
    });
  }
});
