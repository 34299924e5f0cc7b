// The record publisher on a real store: which snapshots reach the DNS sinks (a changed record set
// does, an unchanged one does not), the SOA serial it hands them, what a builder failure keeps, and
// when it withdraws the zone (SERVFAIL) and serves it again. Written for what mutation testing found
// unchecked (TESTING.md): the publisher's only other test is an end-to-end timing one. The sinks
// here record what they are given, as the DNS server and its workers would receive it.
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore, type SnapshotData } from '../../cluster/index.js';
import { RecordPublisher, type RecordSink } from '../../dns/records/publisher.js';
import { query, rcodeOf, countsOf, sendUdp } from '../support/dns-client.js';
import { startDnsServer } from '../support/dns-server.js';
import { RecordBuilder } from '../../dns/records/record-set-builder.js';
import type { RecordSet } from '../../dns/records/record-set.js';

// A clock inside one second (…000.500): two rebuilds in that second must still get two serials.
const T0 = 1_800_000_000_500;
const SECOND = Math.floor(T0 / 1000);
const RECORD_OPTIONS = { domain: 'mesos', ipSources: ['host'] as const, enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: [] };

const snapshotWith = (agentIps: string[], fetchedAt = Date.now()): SnapshotData => ({
  fetchedAt,
  source: { kind: 'file', origin: 'test' },
  clusterName: null,
  leader: null,
  masters: [],
  agents: [{ id: 'a1-S0', hostname: 'a1', pid: null, ips: agentIps, active: true, resources: {}, attributes: {} }],
  frameworks: [],
  apps: [],
});

type Spec = Record<string, { ips?: string[]; srv?: [string, number][] }>;
function recordSet(spec: Spec): RecordSet {
  const builder = new RecordBuilder();
  for (const [name, r] of Object.entries(spec)) {
    builder.addresses(name, r.ips ?? []);
    for (const [target, port] of r.srv ?? []) builder.srv(name, target, port);
  }
  return builder.build(() => []);
}

class RecordingSink implements RecordSink {
  readonly given: { names: string[]; serial: number; generation: number }[] = [];
  readonly availability: (string | null)[] = [];
  constructor(readonly namesHeld: (records: RecordSet) => number = (r) => r.names.size) {}
  setRecords(records: RecordSet, serial: number, generation: number) {
    this.given.push({ names: [...records.names.keys()], serial, generation });
    return { buildMs: 1, names: this.namesHeld(records) };
  }
  setUnavailable(reason: string | null): void {
    this.availability.push(reason);
  }
}

type Line = { level: number; msg: string } & Record<string, any>;
const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

interface Setup {
  store: ClusterStore;
  publisher: RecordPublisher;
  sink: RecordingSink;
  lines: Line[];
  said: (msg: string) => Line[];
}

let open: RecordPublisher[] = [];
function setup(options: Partial<ConstructorParameters<typeof RecordPublisher>[0]> = {}, unusableAfterMs = 20_000): Setup {
  const lines: Line[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const store = new ClusterStore({ staleAfterMs: 10_000, unusableAfterMs, logger: pino({ level: 'silent' }) });
  const sink = new RecordingSink();
  const publisher = new RecordPublisher({ feed: store, sinks: [sink], recordOptions: RECORD_OPTIONS, logger, withdrawWhenUnusable: true, ...options });
  open.push(publisher);
  return { store, publisher, sink, lines, said: (msg) => lines.filter((l) => l.msg === msg) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['Date', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  for (const publisher of open) publisher.close();
  open = [];
  vi.useRealTimers();
});

describe('RecordPublisher: what reaches the sinks', () => {
  it('a snapshot present at start is published at once, later ones as the store accepts them, to every sink', () => {
    const first = new RecordingSink();
    const second = new RecordingSink(() => 99);
    const { store, publisher, said } = setup({ sinks: [first, second] });
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    store.publish(snapshotWith(['10.0.0.2']));
    for (const s of [first, second]) expect(s.given.map((g) => [g.generation, g.names])).toEqual([[1, ['slave.mesos.']], [2, ['slave.mesos.']]]);
    expect(publisher.records!.a.get('slave.mesos.')).toEqual(['10.0.0.2']);
    // The log line's `names` is what the (last) sink says it holds.
    expect(said('DNS records rebuilt').map((l) => [l.level, l.generation, l.serial, l.names, typeof l.ms])).toEqual([
      [LEVEL.info, 1, SECOND, 99, 'number'],
      [LEVEL.info, 2, SECOND + 1, 99, 'number'],
    ]);
  });

  it('rebuildLogLevel debug: a rebuild is logged at debug (a second zone)', () => {
    const { store, publisher, said } = setup({ rebuildLogLevel: 'debug' });
    publisher.start();
    store.publish(snapshotWith(['10.0.0.1']));
    expect(said('DNS records rebuilt').map((l) => l.level)).toEqual([LEVEL.debug]);
  });

  it('the serial: the unix second of the rebuild, or one more than the last when that is not less; unchanged records keep it', () => {
    const { store, publisher, sink } = setup();
    publisher.start();
    expect(publisher.serial).toBe(0);
    store.publish(snapshotWith(['10.0.0.1']));
    store.publish(snapshotWith(['10.0.0.2']));
    store.publish(snapshotWith(['10.0.0.3']));
    store.publish(snapshotWith(['10.0.0.3']));
    vi.setSystemTime(T0 + 10_000);
    store.publish(snapshotWith(['10.0.0.4']));
    expect(sink.given.map((g) => [g.generation, g.serial])).toEqual([
      [1, SECOND],
      [2, SECOND + 1],
      [3, SECOND + 2],
      [5, SECOND + 10],
    ]);
    expect(publisher.serial).toBe(SECOND + 10);
  });

  it('an unchanged record set: nothing handed to the sinks, logged at debug only, the newest set still held', () => {
    const { store, publisher, sink, said } = setup();
    publisher.start();
    store.publish(snapshotWith(['10.0.0.1']));
    const first = publisher.records;
    store.publish(snapshotWith(['10.0.0.1']));
    expect(sink.given.map((g) => g.generation)).toEqual([1]);
    expect(said('DNS records unchanged').map((l) => [l.level, l.generation, l.serial])).toEqual([[LEVEL.debug, 2, SECOND]]);
    expect(said('DNS records rebuilt')).toHaveLength(1);
    expect(publisher.records).not.toBe(first);
    expect(publisher.records!.a.get('slave.mesos.')).toEqual(['10.0.0.1']);
  });

  it('a snapshot the builder cannot handle: logged with its generation, the previous records kept, the sinks not told', () => {
    let fail = false;
    const built = recordSet({ 'web.mesos.': { ips: ['10.0.0.1'] } });
    const { store, publisher, sink, said } = setup({
      build: () => {
        if (fail) throw new Error('bad snapshot');
        return built;
      },
    });
    publisher.start();
    store.publish(snapshotWith([]));
    fail = true;
    store.publish(snapshotWith([]));
    expect(publisher.records).toBe(built);
    expect(sink.given.map((g) => g.generation)).toEqual([1]);
    expect(said('building DNS records failed; keeping the previous records').map((l) => [l.level, l.generation, l.err?.message])).toEqual([
      [LEVEL.error, 2, 'bad snapshot'],
    ]);
  });

  // Each variant of the base set must count as a change (a new serial handed to the sinks), and a
  // set with the same records built anew must not: the fingerprint decides both.
  // Each variant differs from the base in one way only.
  const WEB = { ips: ['10.0.0.1', 'fd00::1', '1::1'], srv: [['web.mesos.', 8080]] as [string, number][] };
  const DB = { ips: ['10.0.0.1', '10.0.0.2'] };
  const base: Spec = { 'web.mesos.': WEB, 'db.mesos.': DB };
  const variants: { name: string; spec: Spec; changed: boolean }[] = [
    { name: 'the same records, built anew', spec: structuredClone(base), changed: false },
    { name: 'an A value changed', spec: { ...base, 'db.mesos.': { ips: ['10.0.0.1', '10.0.0.3'] } }, changed: true },
    { name: 'an AAAA value added', spec: { ...base, 'db.mesos.': { ips: [...DB.ips, 'fd00::2'] } }, changed: true },
    { name: 'an SRV port changed', spec: { ...base, 'web.mesos.': { ...WEB, srv: [['web.mesos.', 8081]] } }, changed: true },
    { name: 'an SRV target changed', spec: { ...base, 'web.mesos.': { ...WEB, srv: [['db.mesos.', 8080]] } }, changed: true },
    { name: 'an SRV added', spec: { ...base, 'db.mesos.': { ...DB, srv: [['db.mesos.', 5432]] } }, changed: true },
    { name: 'a name renamed', spec: { 'web.mesos.': WEB, 'dc.mesos.': DB }, changed: true },
    {
      name: 'an A value moved to another name',
      spec: { 'web.mesos.': { ...WEB, ips: ['10.0.0.2', ...WEB.ips] }, 'db.mesos.': { ips: ['10.0.0.1'] } },
      changed: true,
    },
    // The values of a name are joined with a separator: without it these pairs would read the same.
    { name: 'A values that concatenate to the same text', spec: { ...base, 'db.mesos.': { ips: ['10.0.0.11', '0.0.0.2'] } }, changed: true },
    { name: 'AAAA values that concatenate to the same text', spec: { ...base, 'web.mesos.': { ...WEB, ips: ['10.0.0.1', 'fd00::11', '::1'] } }, changed: true },
  ];
  for (const v of variants) {
    it(`fingerprint: ${v.name} ${v.changed ? 'is' : 'is not'} a change`, () => {
      const sets = [recordSet(base), recordSet(v.spec)];
      const { store, publisher, sink } = setup({ build: () => sets.shift()! });
      publisher.start();
      store.publish(snapshotWith([]));
      store.publish(snapshotWith([]));
      expect(sink.given.map((g) => [g.generation, g.serial])).toEqual(v.changed ? [[1, SECOND], [2, SECOND + 1]] : [[1, SECOND]]);
    });
  }
});

describe('RecordPublisher: withdrawing the zone (withdrawWhenUnusable)', () => {
  it('no snapshot at start: withdrawn ("no cluster snapshot yet") and logged at debug, not as a warning', () => {
    const { publisher, sink, lines } = setup();
    publisher.start();
    expect(sink.availability).toEqual(['no cluster snapshot yet']);
    expect(lines.map((l) => [l.level, l.msg, l.reason])).toEqual([
      [LEVEL.debug, 'DNS zone waits for the first cluster snapshot (SERVFAIL until then)', 'no cluster snapshot yet'],
    ]);
  });

  it('the first records: served, with no "serving again" line; rechecks without a change tell the sinks nothing', () => {
    const { store, publisher, sink, said } = setup();
    publisher.start();
    store.publish(snapshotWith(['10.0.0.1']));
    vi.advanceTimersByTime(5_000);
    expect(sink.availability).toEqual(['no cluster snapshot yet', null]);
    expect(said('DNS zone serving again')).toEqual([]);
  });

  it('a snapshot grown unusable: withdrawn at the next check (every second by default) with its age, warned; served again on a fresh one', () => {
    // Unusable at 20.5 s: the once-a-second check sees it at 21 s, not before.
    const { store, publisher, sink, said } = setup({}, 20_500);
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    expect(sink.availability).toEqual([null]);
    vi.advanceTimersByTime(20_999);
    expect(sink.availability).toEqual([null]);
    vi.advanceTimersByTime(1);
    const reason = 'cluster snapshot is 21s old (past cluster.unusableAfter)';
    expect(sink.availability).toEqual([null, reason]);
    vi.advanceTimersByTime(10_000);
    expect(sink.availability).toEqual([null, reason]);
    expect(said('DNS zone withdrawn: answering SERVFAIL').map((l) => [l.level, l.reason])).toEqual([[LEVEL.warn, reason]]);
    store.publish(snapshotWith(['10.0.0.1']));
    expect(sink.availability).toEqual([null, reason, null]);
    expect(said('DNS zone serving again').map((l) => l.level)).toEqual([LEVEL.info]);
  });

  it('a snapshot unusable for ten minutes: the sinks told once and one warning, not one a second (the reason names the age)', () => {
    const { store, publisher, sink, said } = setup();
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    vi.advanceTimersByTime(600_000);
    expect(sink.availability).toEqual([null, 'cluster snapshot is 20s old (past cluster.unusableAfter)']);
    expect(said('DNS zone withdrawn: answering SERVFAIL')).toHaveLength(1);
  });

  it('a fresh snapshot with the same records after a withdrawal: served at once, not at the next check', () => {
    const { store, publisher, sink } = setup({ checkIntervalMs: 60_000 });
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    vi.advanceTimersByTime(60_000);
    expect(sink.availability).toEqual([null, 'cluster snapshot is 60s old (past cluster.unusableAfter)']);
    store.publish(snapshotWith(['10.0.0.1']));
    expect(sink.availability).toEqual([null, 'cluster snapshot is 60s old (past cluster.unusableAfter)', null]);
  });

  it('checkIntervalMs sets how often the snapshot\'s age is checked', () => {
    const { store, publisher, sink } = setup({ checkIntervalMs: 100 }, 20_050);
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    vi.advanceTimersByTime(20_099);
    expect(sink.availability).toEqual([null]);
    vi.advanceTimersByTime(1);
    expect(sink.availability).toEqual([null, 'cluster snapshot is 20s old (past cluster.unusableAfter)']);
  });

  it('an unusable snapshot at start: withdrawn once, with a warning (not the first-start wait)', () => {
    const { store, publisher, sink, said } = setup();
    store.publish(snapshotWith(['10.0.0.1'], T0 - 30_000));
    publisher.start();
    const reason = 'cluster snapshot is 30s old (past cluster.unusableAfter)';
    expect(sink.given.map((g) => g.generation)).toEqual([1]);
    expect(sink.availability).toEqual([reason]);
    expect(said('DNS zone withdrawn: answering SERVFAIL').map((l) => l.reason)).toEqual([reason]);
  });

  it('a usable snapshot the builder refuses: withdrawn with "no DNS records built yet"', () => {
    const { store, publisher, sink } = setup({
      build: () => {
        throw new Error('bad snapshot');
      },
    });
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    expect(sink.availability).toEqual(['no DNS records built yet']);
  });

  it('a failed build after serving keeps the zone served: the previous records stay', () => {
    let fail = false;
    const { store, publisher, sink, said } = setup({
      build: () => {
        if (fail) throw new Error('bad');
        return recordSet({ 'web.mesos.': { ips: ['10.0.0.1'] } });
      },
    });
    publisher.start();
    store.publish(snapshotWith([]));
    expect(sink.availability).toEqual(['no cluster snapshot yet', null]);
    // The records stay (a failed build keeps them), so the zone keeps serving.
    fail = true;
    store.publish(snapshotWith([]));
    vi.advanceTimersByTime(2_000);
    expect(sink.availability).toEqual(['no cluster snapshot yet', null]);
    expect(said('DNS zone withdrawn: answering SERVFAIL')).toEqual([]);
  });

  it('withdrawWhenUnusable false: the sinks are never told of availability, with no snapshot or an unusable one', () => {
    const { store, publisher, sink } = setup({ withdrawWhenUnusable: false });
    publisher.start();
    vi.advanceTimersByTime(30_000);
    store.publish(snapshotWith(['10.0.0.1'], T0));
    store.publish(snapshotWith(['10.0.0.1'], T0)); // unchanged records
    vi.advanceTimersByTime(30_000);
    expect(sink.availability).toEqual([]);
    expect(sink.given.map((g) => g.generation)).toEqual([1]);
  });

  it('close(): later snapshots and checks reach no sink', () => {
    const { store, publisher, sink } = setup();
    store.publish(snapshotWith(['10.0.0.1']));
    publisher.start();
    publisher.close();
    store.publish(snapshotWith(['10.0.0.2']));
    vi.advanceTimersByTime(60_000);
    expect(sink.given.map((g) => g.generation)).toEqual([1]);
    expect(sink.availability).toEqual([null]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('RecordPublisher with the DNS server as its sink (gatehouse mode: the server starts withdrawn)', () => {
  // The publisher started on a store that already holds a usable snapshot (the gateway's primary
  // starts DNS before the cluster source today, but nothing guarantees that order): the first check
  // must tell the server the zone is served, or it answers SERVFAIL until the snapshot ages out.
  it('a usable snapshot at start: the zone answers (not SERVFAIL)', async () => {
    vi.useRealTimers();
    const { server, port } = await startDnsServer(null);
    try {
      const { store, publisher } = setup({ sinks: [server] });
      store.publish(snapshotWith(['10.0.0.1']));
      publisher.start();
      const reply = (await sendUdp(port, query('slave.mesos', 1)))!;
      expect([rcodeOf(reply), countsOf(reply).an]).toEqual([0, 1]);
    } finally {
      await server.close();
    }
  });
});
