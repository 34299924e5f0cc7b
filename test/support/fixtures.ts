// The project's own Mesos state documents (test/fixtures, described in test/fixtures/README.md),
// read as they are.
import { readFile } from 'node:fs/promises';
import { parseMasterState } from '../../cluster/index.js';
import type { SnapshotData } from '../../cluster/index.js';

export const FIXTURES = new URL('../fixtures/', import.meta.url);

/** The hand-written master state most DNS tests are held to (test/fixtures/README.md lists its cases). */
export const HARBOR = 'master-state/harbor.json';

export async function fixtureJson(relative: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(relative, FIXTURES), 'utf8')) as Record<string, unknown>;
}

export async function fixtureText(relative: string): Promise<string> {
  return readFile(new URL(relative, FIXTURES), 'utf8');
}

/** Host names in fixtures resolve deterministically in tests (the `hostname only` framework is `localhost`). */
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
