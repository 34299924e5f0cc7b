// The mesos source on the operator API's event stream, against the embedded master (a real Mesos
// v1 API over HTTP): changes reach the store and DNS within moments of the master's event, with
// polling set to once a minute so that only the stream can explain it; a refused or broken stream
// falls back to polling and resubscribes; a leader change (or a redirect) moves the subscription.
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it, type TestContext } from 'vitest';
import { ClusterStore, MesosSource, tasksOf, type Snapshot } from '../../cluster/index.js';
import type { MasterEvent } from '../../cluster/local/master/master.js';
import { RecordPublisher, type RecordSet } from '../../dns/index.js';
import { appDefinition } from '../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../support/local-cluster.js';
import { startFakeMaster } from '../support/fake-master.js';
import { until } from '../support/until.js';

const silent = pino({ level: 'silent' });
// The cases run at once (they wait on streams and processes): each closes what it opened when it ends,
// in reverse order, and has task ports of its own. The tasks only have to run: a sleep, not node.
const SLEEPER = 'exec sleep 600';

const newStore = () => new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: silent });
const running = (snapshot: Snapshot | null): string[] => (snapshot ? tasksOf(snapshot).filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id).sort() : []);

async function cluster(ctx: TestContext, instances: number, ports: string): Promise<TestCluster> {
  const c = await startTestCluster([appDefinition({ id: '/hello', cmd: SLEEPER, instances })], { resources: { ports } });
  ctx.onTestFinished(() => c.close());
  return c;
}

function source(
  ctx: TestContext,
  masters: string[],
  store: ClusterStore,
  extra: Partial<ConstructorParameters<typeof MesosSource>[0]> = {},
): MesosSource {
  const s = new MesosSource({
    masters,
    marathon: null,
    refreshMs: 60_000,
    timeoutMs: 2000,
    store,
    logger: silent,
    resolveHost: async () => ['127.0.0.1'],
    ...extra,
  });
  ctx.onTestFinished(() => s.close());
  return s;
}

/** Resolves with performance.now() when the master emits a matching event (inside the emit). */
function masterEvent(c: TestCluster, match: (e: MasterEvent) => boolean): Promise<{ at: number; event: MasterEvent }> {
  return new Promise((resolve) => {
    const listener = (event: MasterEvent): void => {
      if (!match(event)) return;
      c.cluster.master.off('event', listener);
      resolve({ at: performance.now(), event });
    };
    c.cluster.master.on('event', listener);
  });
}

/** Resolves with performance.now() when a published snapshot passes `ok`. */
function storeSees(store: ClusterStore, ok: (s: Snapshot) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const off = store.subscribe((snapshot) => {
      if (!ok(snapshot)) return;
      off();
      resolve(performance.now());
    });
  });
}

describe.concurrent('the mesos source follows SUBSCRIBE', () => {
  it('a task launched or killed is in the store and the DNS records within moments of the master\'s event (polling once a minute)', async (ctx) => {
    const c = await cluster(ctx, 1, '20620-20639');
    const store = newStore();
    const s = source(ctx, [c.url], store);
    await s.start();
    await until(async () => running(store.current), (ids) => ids.length === 1, 10_000);
    await until(async () => s.streamStatus().live, (live) => live);
    // DNS: the record publisher on the same store, with a sink noting when SRV records change.
    let srvSeen: { at: number; count: number }[] = [];
    const publisher = new RecordPublisher({
      feed: store,
      logger: silent,
      withdrawWhenUnusable: false,
      recordOptions: { domain: 'mesos', ipSources: ['netinfo', 'mesos', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: [] },
      sinks: [
        {
          setRecords: (records: RecordSet) => (
            srvSeen.push({ at: performance.now(), count: records.srv.get('_hello._tcp.marathon.mesos.')?.length ?? 0 }),
            { buildMs: 0, names: records.names.size }
          ),
          setUnavailable: () => undefined,
        },
      ],
    });
    publisher.start();
    ctx.onTestFinished(async () => publisher.close());
    const before = running(store.current);

    // Launch: scale to two; the master's TASK_RUNNING for the new task is the moment to measure from.
    srvSeen = [];
    const launched = masterEvent(c, (e) => e.type === 'TASK_UPDATED' && e.status.state === 'TASK_RUNNING' && !before.includes(e.task.launch.taskId));
    const launchSeen = storeSees(store, (snap) => running(snap).length === 2);
    c.apps.set([appDefinition({ id: '/hello', cmd: SLEEPER, instances: 2, version: 'two' })]);
    const launch = await launched;
    const launchAt = await launchSeen;
    const launchDns = await until(async () => srvSeen.find((r) => r.count === 2), (r) => r !== undefined, 5000);

    // Kill: the master's first update that ends TASK_RUNNING (TASK_KILLING) is the moment: from it
    // on, DNS must not hand the task out.
    const victim = before[0]!;
    srvSeen = [];
    const killed = masterEvent(c, (e) => e.type === 'TASK_UPDATED' && e.task.launch.taskId === victim && e.status.state !== 'TASK_RUNNING');
    const killSeen = storeSees(store, (snap) => !running(snap).includes(victim));
    c.cluster.master.killTask(victim);
    const kill = await killed;
    const killAt = await killSeen;
    await until(async () => tasksOf(store.current!).some((t) => t.id === victim), (there) => !there, 10_000);
    const killDns = await until(async () => srvSeen.find((r) => r.count === 1), (r) => r !== undefined, 5000);

    const measured = {
      launchStoreMs: launchAt - launch.at,
      launchDnsMs: launchDns!.at - launch.at,
      killStoreMs: killAt - kill.at,
      killDnsMs: killDns!.at - kill.at,
    };
    console.log(
      `SUBSCRIBE latency from the master's event (ms): ${JSON.stringify(Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`,
    );
    // A bound for a loaded machine, not a timing claim: the poll alone would take a minute.
    for (const ms of Object.values(measured)) expect(ms).toBeLessThan(5000);
    expect(store.current!.source.origin).toBe(`${c.url}/api/v1`);
    expect(s.streamStatus()).toMatchObject({ live: true, subscriptions: 1 });
  }, 40_000);

  it('a master that refuses SUBSCRIBE is polled instead, and the last good snapshot stays when it fails', async (ctx) => {
    const master = await startFakeMaster();
    ctx.onTestFinished(() => master.close());
    master.body = JSON.stringify({
      leader: `master@127.0.0.1:${master.port}`,
      slaves: [],
      frameworks: [{ id: 'f1', name: 'marathon', tasks: [{ id: 't1', name: 'web', state: 'TASK_RUNNING', slave_id: 's1', statuses: [] }] }],
    });
    const store = newStore();
    const s = source(ctx, [master.url], store);
    await s.start();
    expect(running(store.current)).toEqual(['t1']);
    expect(store.current!.source.origin).toBe(`${master.url}/master/state`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.streamStatus()).toMatchObject({ live: false, subscriptions: 0 });
    master.behaviour = 'error500';
    // A poll the refusal started may still be on its way with the old answer: the next one fails.
    expect(await until(() => s.refresh(), (ok) => ok === false)).toBe(false);
    expect(running(store.current)).toEqual(['t1']);
  });

  it('a broken stream: the snapshot stays, polling fills in, and the source resubscribes and follows again', async (ctx) => {
    const c = await cluster(ctx, 1, '20640-20659');
    // An HTTP relay standing in for the master (it names itself the leader in the state it passes
    // on), whose connections the test can cut.
    const sockets = new Set<Socket>();
    const masterPort = Number(new URL(c.url).port);
    const relay: Server = createHttpServer((req, res) => {
      const upstream = httpRequest({ host: '127.0.0.1', port: masterPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (req.url?.startsWith('/master/state')) {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(Buffer.concat(chunks).toString().replaceAll(`127.0.0.1:${masterPort}`, `127.0.0.1:${relayPort}`)),
          );
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    relay.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => new Promise<void>((resolve) => { relay.closeAllConnections(); relay.close(() => resolve()); }));
    const relayPort = (relay.address() as AddressInfo).port;
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    const store = newStore();
    const s = source(ctx, [relayUrl], store, { logger: pino({ level: process.env['TEST_LOG'] ?? 'silent' }) });
    await s.start();
    expect((await until(async () => s.streamStatus(), (st) => st.live)).master).toBe(relayUrl);
    const first = await until(async () => running(store.current), (ids) => ids.length === 1, 10_000);
    expect(first).toHaveLength(1);

    for (const socket of sockets) socket.destroy();
    const back = await until(async () => s.streamStatus(), (st) => st.live && st.subscriptions === 2, 10_000);
    expect(back.subscriptions).toBe(2);
    expect(running(store.current)).toEqual(first);
    c.apps.set([appDefinition({ id: '/hello', cmd: SLEEPER, instances: 2, version: 'two' })]);
    expect(await until(async () => running(store.current).length, (n) => n === 2, 10_000)).toBe(2);
  }, 30_000);

  it('when the leader goes, the source subscribes to the master that leads now; a non-leader\'s redirect is followed', async (ctx) => {
    const a = await cluster(ctx, 1, '20660-20669');
    const b = await cluster(ctx, 2, '20670-20679');
    // A standby master: its state and its operator API point to the leader, as Mesos's do (307).
    let leader = a.url;
    const standby: Server = createHttpServer((req, res) => {
      if (req.url?.startsWith('/api/v1')) return void res.writeHead(307, { location: `${leader.replace(/^http:/, '')}/api/v1` }).end();
      if (req.url?.startsWith('/master/state'))
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ leader: `master@${new URL(leader).host}`, slaves: [], frameworks: [] }));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => standby.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => new Promise<void>((resolve) => { standby.closeAllConnections(); standby.close(() => resolve()); }));
    const standbyUrl = `http://127.0.0.1:${(standby.address() as AddressInfo).port}`;

    const store = newStore();
    const s = source(ctx, [standbyUrl, a.url, b.url], store);
    await s.start();
    expect((await until(async () => s.streamStatus(), (st) => st.live)).master).toBe(a.url);
    await until(async () => running(store.current).length, (n) => n === 1, 10_000);

    // The leader dies; the standby now names b.
    leader = b.url;
    await a.close();
    const moved = await until(async () => s.streamStatus(), (st) => st.live && st.master === b.url, 15_000);
    expect(moved.subscriptions).toBe(2);
    expect(await until(async () => running(store.current).length, (n) => n === 2, 10_000)).toBe(2);
    expect(store.current!.source.origin).toBe(`${b.url}/api/v1`);
  }, 40_000);
});
