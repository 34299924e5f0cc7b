// Fixtures from real systems (../shared/fixtures), read as they are.
import { readFile } from 'node:fs/promises';
import { parseMasterState } from '../../cluster/index.js';
import type { SnapshotData } from '../../cluster/index.js';

export const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

export async function fixtureJson(relative: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(relative, FIXTURES), 'utf8')) as Record<string, unknown>;
}

/** Host names in fixtures resolve deterministically in tests (the `no pid` framework is `localhost`). */
export const testResolver = async (host: string): Promise<string[]> => (host === 'localhost' ? ['127.0.0.1'] : []);

export async function fixtureSnapshot(relative: string, patch?: (doc: Record<string, unknown>) => void, masters?: string[]): Promise<SnapshotData> {
  const doc = await fixtureJson(relative);
  patch?.(doc);
  return parseMasterState(doc, {
    source: { kind: 'file', origin: relative },
    fetchedAt: Date.now(),
    ...(masters ? { masters } : {}),
    resolveHost: testResolver,
  });
}
