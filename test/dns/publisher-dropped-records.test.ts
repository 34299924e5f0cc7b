// The record publisher with `keepRecords: false` (how `gatehouse run` wires it): the sinks get every
// changed record set, the publisher keeps none of them (the DNS server reads the records back from
// its answers), still tells a changed set from an unchanged one, and answers /v1/enumerate from the
// snapshot the last records came from.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore, type SnapshotData } from '../../cluster/index.js';
import { buildRecordSet, DnsServer } from '../../dns/index.js';
import { RecordPublisher, type RecordSink } from '../../dns/records/publisher.js';
import type { RecordSet } from '../../dns/records/record-set.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';
import { TEST_ZONE } from '../support/dns-server.js';

const RECORD_OPTIONS = { domain: 'mesos', ipSources: ['netinfo', 'docker', 'mesos', 'host'] as const, enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: [] };
const silent = pino({ level: 'silent' });

let open: RecordPublisher[] = [];
afterEach(() => {
  for (const publisher of open) publisher.close();
  open = [];
});

function setup(keepRecords: boolean | undefined, sinks: RecordSink[]) {
  const store = new ClusterStore({ staleAfterMs: 10_000, unusableAfterMs: 20_000, logger: silent });
  const publisher = new RecordPublisher({
    feed: store, sinks, recordOptions: RECORD_OPTIONS, logger: silent, withdrawWhenUnusable: false, ...(keepRecords === undefined ? {} : { keepRecords }),
  });
  open.push(publisher);
  publisher.start();
  return { store, publisher };
}

/** The harbor state with one task renamed: other records, another enumeration. */
const renamed = (name: string) =>
  fixtureSnapshot(HARBOR, (doc) => {
    const task = (doc as { frameworks: { tasks: { name: string }[] }[] }).frameworks.flatMap((f) => f.tasks).find((t) => t.name === 'lighthouse')!;
    task.name = name;
  });

describe('RecordPublisher with keepRecords: false', () => {
  it('the sinks get each changed set; the publisher holds none; an unchanged set is not handed on again', async () => {
    const given: RecordSet[] = [];
    const { store, publisher } = setup(false, [{ setRecords: (r) => (given.push(r), { buildMs: 0, names: r.names.size }), setUnavailable: () => undefined }]);
    const snapshot = await fixtureSnapshot(HARBOR);
    store.publish(snapshot);
    store.publish(await fixtureSnapshot(HARBOR));
    expect(given).toHaveLength(1);
    expect(publisher.records).toBeNull();
    const serial = publisher.serial;
    store.publish(await renamed('beacon'));
    expect(given).toHaveLength(2);
    expect(given[1]!.names.has('beacon.marathon.mesos.')).toBe(true);
    expect(publisher.serial).toBeGreaterThan(serial);
  });

  const enumerations: { name: string; keepRecords: boolean | undefined }[] = [
    { name: 'records dropped: built from the last snapshot', keepRecords: false },
    { name: 'records kept (the default): the record set\'s own', keepRecords: undefined },
  ];
  for (const c of enumerations) {
    it(`enumerate(), ${c.name}, follows the newest snapshot also when the answers did not change`, async () => {
      const { store, publisher } = setup(c.keepRecords, []);
      expect(publisher.enumerate()).toEqual([]);
      const first = await fixtureSnapshot(HARBOR);
      store.publish(first);
      const want = buildRecordSet(first, RECORD_OPTIONS).enumerate();
      expect(publisher.enumerate()).toEqual(want);
      expect(publisher.enumerate()).toBe(publisher.enumerate());
      // Another task id, the same names and addresses: the records are unchanged, the enumeration is not.
      const second = await fixtureSnapshot(HARBOR, (doc) => {
        const task = (doc as { frameworks: { tasks: { name: string; id: string }[] }[] }).frameworks.flatMap((f) => f.tasks).find((t) => t.name === 'lighthouse')!;
        task.id = 'lighthouse.second';
      });
      store.publish(second);
      expect(JSON.stringify(publisher.enumerate())).toContain('lighthouse.second');
      expect(publisher.enumerate()).toEqual(buildRecordSet(second, RECORD_OPTIONS).enumerate());
    });
  }

  it('enumerate() with records dropped: built once however often asked (a client asking in a loop), dropped a minute after the last ask', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { store, publisher } = setup(false, []);
      store.publish(await fixtureSnapshot(HARBOR));
      const first = publisher.enumerate();
      for (let i = 0; i < 50; i++) {
        vi.advanceTimersByTime(30_000);
        expect(publisher.enumerate()).toBe(first);
      }
      vi.advanceTimersByTime(61_000);
      const rebuilt = publisher.enumerate();
      expect(rebuilt).not.toBe(first);
      expect(rebuilt).toEqual(first);
    } finally {
      vi.useRealTimers();
    }
  });

  const retention: { name: string; keepRecords: boolean | undefined; collected: boolean }[] = [
    { name: 'keepRecords: false: the record set is collected once the DNS server has built its answers', keepRecords: false, collected: true },
    { name: 'the default keeps it (publisher.records)', keepRecords: undefined, collected: false },
  ];
  for (const c of retention) {
    it(c.name, async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
      const server = new DnsServer({ listen: { host: '127.0.0.1', port: 0 }, zone: TEST_ZONE, resolvers: [], resolverTimeoutMs: 100, mode: 'gatehouse', logger: silent });
      let built: WeakRef<RecordSet> | null = null;
      const sink: RecordSink = {
        setRecords: (records, serial) => ((built = new WeakRef(records)), server.setRecords(records, serial)),
        setUnavailable: (reason) => server.setUnavailable(reason),
      };
      const { store } = setup(c.keepRecords, [sink]);
      store.publish(await fixtureSnapshot(HARBOR));
      // A WeakRef holds its target until the current job ends.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      expect(built!.deref() === undefined).toBe(c.collected);
      expect(server.records()!.get('leader.mesos.')!.a).toEqual(['192.0.2.5']);
    });
  }
});
