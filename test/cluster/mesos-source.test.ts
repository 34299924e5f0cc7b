// The mesos source under the shared conformance suite, against local HTTP servers serving real
// captures, plus what only a fleet of masters does: leader changes, dead, hanging, failing masters.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore, MesosSource, parseMasterState, tasksOf } from '../../cluster/index.js';
import { sourceConformance } from '../conformance/cluster-source.js';
import { startFakeMaster, type FakeMaster } from '../support/fake-master.js';
import { HARBOR, fixtureJson } from '../support/fixtures.js';

sourceConformance('mesos', async () => {
  const master = await startFakeMaster();
  return {
    serve: async (document) => {
      master.body = typeof document === 'string' ? document : JSON.stringify(document);
    },
    source: (store) =>
      new MesosSource({
        masters: [master.url],
        marathon: null,
        refreshMs: 60_000,
        timeoutMs: 2000,
        store,
        logger: pino({ level: 'silent' }),
        resolveHost: async () => [],
      }),
    close: () => master.close(),
  };
});

describe('mesos source: a fleet of masters', () => {
  const masters: FakeMaster[] = [];
  const sources: MesosSource[] = [];
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
    for (const m of masters.splice(0)) await m.close();
  });

  async function fleet(count: number) {
    const started = await Promise.all(Array.from({ length: count }, () => startFakeMaster()));
    masters.push(...started);
    const doc = await fixtureJson(HARBOR);
    for (const m of started) m.body = JSON.stringify({ ...doc, leader: `master@127.0.0.1:${started[0]!.port}` });
    return started;
  }
  function sourceFor(urls: string[], store: ClusterStore, options: { timeoutMs?: number; marathon?: string; registry?: Registry; maxBytes?: number } = {}) {
    const source = new MesosSource({
      masters: urls,
      marathon: options.marathon ?? null,
      refreshMs: 60_000,
      timeoutMs: options.timeoutMs ?? 2000,
      store,
      logger: pino({ level: 'silent' }),
      registry: options.registry,
      maxBytes: options.maxBytes,
      resolveHost: async () => [],
    });
    sources.push(source);
    return source;
  }
  const newStore = (registry?: Registry) => new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }), registry });

  it('asks the leader a non-leading master names, and asks it first next time', async () => {
    const [a, b] = await fleet(2);
    const doc = await fixtureJson(HARBOR);
    for (const m of [a!, b!]) m.body = JSON.stringify({ ...doc, leader: `master@127.0.0.1:${b!.port}` });
    const store = newStore();
    const source = sourceFor([a!.url, b!.url], store);
    expect(await source.refresh()).toBe(true);
    expect(store.current!.source.origin).toBe(`${b!.url}/master/state`);
    const before = a!.requests;
    await source.refresh();
    expect(a!.requests).toBe(before);
  });

  const failures: [string, 'error500' | 'hang' | 'reset' | 'huge' | 'dead'][] = [
    ['a master that answers 500', 'error500'],
    ['a master that hangs', 'hang'],
    ['a master that resets the connection', 'reset'],
    ['a master that sends an endless body', 'huge'],
    ['a dead master (connection refused)', 'dead'],
  ];
  for (const [name, behaviour] of failures) {
    it(`skips ${name} for the next one`, async () => {
      const [first, second] = await fleet(2);
      const doc = await fixtureJson(HARBOR);
      second!.body = JSON.stringify({ ...doc, leader: `master@127.0.0.1:${second!.port}` });
      if (behaviour === 'dead') await first!.close();
      else first!.behaviour = behaviour;
      const store = newStore();
      const source = sourceFor([first!.url, second!.url], store, { timeoutMs: 500, maxBytes: 8 << 20 });
      expect(await source.refresh()).toBe(true);
      expect(store.current!.source.origin).toBe(`${second!.url}/master/state`);
    });
  }

  it('a state is parsed task by task into the snapshot the whole document gives; one task not JSON fails it as before', async () => {
    const [only] = await fleet(1);
    const good = only!.body as string;
    const store = newStore();
    const source = sourceFor([only!.url], store);
    expect(await source.refresh()).toBe(true);
    const whole = await parseMasterState(JSON.parse(good), {
      source: { kind: 'mesos', origin: `${only!.url}/master/state` }, fetchedAt: store.current!.fetchedAt, masters: [only!.url], resolveHost: async () => [],
    });
    expect(store.current).toEqual({ ...whole, generation: 1 });
    // The first task's id written without quotes: JSON.parse's own message, as when the whole document was parsed.
    const broken = good.replace(/"tasks":\[\{"id":"([^"]*)"/, '"tasks":[{"id":$1');
    expect(broken).not.toBe(good);
    let expected = '';
    try {
      JSON.parse(broken);
    } catch (error) {
      expected = `${only!.url}/master/state: the answer is not JSON (${(error as Error).message})`;
    }
    only!.body = broken;
    expect(await source.refresh()).toBe(false);
    expect(store.status().lastError).toContain(expected);
  });

  it('all masters failing keeps the last good snapshot, counts and names the failure', async () => {
    const [only] = await fleet(1);
    const registry = new Registry();
    const store = newStore(registry);
    const source = sourceFor([only!.url], store, { registry });
    await source.refresh();
    only!.behaviour = 'error500';
    expect(await source.refresh()).toBe(false);
    expect(store.current!.generation).toBe(1);
    expect(store.status().lastError).toContain('HTTP 500');
  });

  it('a non-leading master whose leader is unreachable is not published (its state would empty the zone)', async () => {
    const [a] = await fleet(1);
    const doc = await fixtureJson(HARBOR);
    const gone = await startFakeMaster();
    const gonePort = gone.port;
    await gone.close();
    a!.body = JSON.stringify({ ...doc, leader: `master@127.0.0.1:${gonePort}` });
    const store = newStore();
    expect(await sourceFor([a!.url], store).refresh()).toBe(false);
    expect(store.current).toBeNull();
    expect(store.status().lastError).toContain(`127.0.0.1:${gonePort}`);
  });

  it('merges Marathon app ids, labels and health; keeps the last good apps when Marathon fails', async () => {
    const [m] = await fleet(1);
    const marathon = await startFakeMaster('/v2/apps');
    masters.push(marathon);
    marathon.body = JSON.stringify({
      apps: [{
        id: '/tugboat', instances: 1, labels: { DCOS_SERVICE_NAME: 'tugboat', DCOS_SERVICE_PORT_INDEX: '0' },
        portDefinitions: [{ port: 10000, protocol: 'tcp', name: 'http' }],
        tasks: [{ id: 'tugboat.77aa0e13-8b7e-11ee-9c4e-0242ac110002', appId: '/tugboat', healthCheckResults: [{ alive: false }] }],
      }],
    });
    const store = newStore();
    const source = sourceFor([m!.url], store, { marathon: marathon.url });
    await source.refresh();
    const tugboat = tasksOf(store.current!).find((t) => t.name === 'tugboat')!;
    expect(tugboat.appId).toBe('/tugboat');
    expect(tugboat.health).toBe('unhealthy');
    expect(store.current!.apps[0]!.labels['DCOS_SERVICE_NAME']).toBe('tugboat');

    marathon.behaviour = 'error500';
    await source.refresh();
    // Same master state, last good Marathon apps: the snapshot stands (confirmed, not rebuilt).
    expect(store.current!.generation).toBe(1);
    expect(store.current!.apps.map((a) => a.id)).toEqual(['/tugboat']);
    m!.body = m!.body.replace('"tugboat"', '"tugboat2"');
    await source.refresh();
    expect(store.current!.generation).toBe(2);
    expect(store.current!.apps.map((a) => a.id)).toEqual(['/tugboat']);
  });

  it('an unchanged state is confirmed, not rebuilt; a changed one is published', async () => {
    const [m] = await fleet(1);
    const store = newStore();
    const source = sourceFor([m!.url], store);
    await source.refresh();
    const first = store.current!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await source.refresh();
    expect(store.current).toBe(first);
    expect(store.status().ageMs).toBeLessThan(Date.now() - first.fetchedAt);
    m!.body = JSON.stringify({ ...JSON.parse(m!.body), frameworks: [] });
    await source.refresh();
    expect(store.current!.generation).toBe(first.generation + 1);
  });
});
