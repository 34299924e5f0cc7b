// The file source under the shared conformance suite, plus what only files do: atomic replacement,
// disappearing files, change detection without a refresh call.
import { mkdtemp, rename, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterStore, FileSource } from '../../cluster/index.js';
import { sourceConformance } from '../conformance/cluster-source.js';
import { emptyState } from '../support/cluster-states.js';
import { HARBOR, fixtureJson } from '../support/fixtures.js';

sourceConformance('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-file-source-'));
  const path = join(dir, 'state.json');
  return {
    serve: (document) => writeFile(path, typeof document === 'string' ? document : JSON.stringify(document)),
    source: (store) => new FileSource({ path, store, logger: pino({ level: 'silent' }), resolveHost: async () => [] }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
};

describe('file source: watching', () => {
  it('picks up an atomic replace (write temp + rename) without being asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-file-watch-'));
    const path = join(dir, 'state.json');
    const doc: Record<string, unknown> = { ...(await fixtureJson(HARBOR)), leader: undefined };
    await writeFile(path, JSON.stringify(doc));
    const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }) });
    const source = new FileSource({ path, store, logger: pino({ level: 'silent' }), debounceMs: 20, resolveHost: async () => [] });
    await source.start();
    try {
      expect(store.current?.generation).toBe(1);
      (doc['frameworks'] as { name: string }[])[0]!.name = 'renamed';
      await writeFile(`${path}.tmp`, JSON.stringify(doc));
      await rename(`${path}.tmp`, path);
      expect(await until(() => store.current?.generation === 2)).toBe(true);
      expect(store.current!.frameworks[0]!.name).toBe('renamed');

      await unlink(path);
      expect(await until(() => store.status().lastError !== null)).toBe(true);
      expect(store.current!.generation).toBe(2);
    } finally {
      await source.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a file that does not exist yet: no snapshot, an error naming the path, then picked up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-file-late-'));
    const path = join(dir, 'later.json');
    const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }) });
    const source = new FileSource({ path, store, logger: pino({ level: 'silent' }), debounceMs: 20, resolveHost: async () => [] });
    await source.start();
    try {
      expect(store.current).toBeNull();
      expect(store.status().lastError).toContain(path);
      await writeFile(path, JSON.stringify({ ...emptyState(), leader: undefined }));
      expect(await until(() => store.current !== null)).toBe(true);
    } finally {
      await source.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
