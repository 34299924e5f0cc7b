// `cluster.source: local` publishes exactly what the `mesos` source (with Marathon) reads from the
// embedded master's own HTTP API, and task changes reach the store through Marathon's event stream.
// The cases run at once (they wait on processes), each with its own source, work dir and task ports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, test, type TestContext } from 'vitest';
import { ClusterStore, MesosSource, tasksOf, type Snapshot } from '../../../cluster/index.js';
import { LocalSource } from '../../../cluster/local/local-source.js';
import { parsePortRanges } from '../../../cluster/local/master/resources.js';
import { appDefinition, httpHealthCheck, MemoryApps } from '../../support/local-apps.js';
import { until } from '../../support/until.js';

const silent = pino({ level: 'silent' });
const newStore = (): ClusterStore => new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: silent });

// Task ports 20200-20399 are this file's: a slice of 60 per case.
let nextPort = 20200;

/** Closed, and its work dir removed, when the case ends (clean-ups run in reverse order). */
async function localSource(ctx: TestContext, apps: MemoryApps, store: ClusterStore): Promise<LocalSource> {
  const workDir = await mkdtemp(join(tmpdir(), 'gatehouse-local-source-'));
  ctx.onTestFinished(() => rm(workDir, { recursive: true, force: true }));
  const ports = `${nextPort}-${nextPort + 59}`;
  nextPort += 60;
  const source = new LocalSource({
    apps, agents: 2, workDir, listen: { host: '127.0.0.1', port: 0 },
    resources: { cpus: 2, mem: 2048, disk: 1024, ports: parsePortRanges(ports) }, isolation: 'auto', logger: silent, store, refreshMs: 60_000,
  });
  ctx.onTestFinished(() => source.close());
  await source.start();
  return source;
}

// Tasks that only have to run (no HTTP server needed) are a sleep: cheaper to start than node.
const SLEEPER = 'exec sleep 600';
const running = (snapshot: Snapshot | null): number => (snapshot ? tasksOf(snapshot).filter((t) => t.state === 'TASK_RUNNING').length : 0);
const comparable = (s: Snapshot): unknown => ({ ...s, generation: 0, fetchedAt: 0, source: null });

test.concurrent('the local snapshot equals what the mesos + Marathon sources build from the embedded API', async (ctx) => {
  const apps = new MemoryApps([
    appDefinition({
      id: '/hello',
      cmd: SLEEPER,
      instances: 2,
      labels: { DCOS_SERVICE_NAME: 'hello', DCOS_SERVICE_PORT_INDEX: '0' },
      portDefinitions: [{ port: 0, name: 'web', protocol: 'tcp', labels: { VIP_0: '/hello:8000' } }],
    }),
    appDefinition({
      id: '/grp/web',
      cmd: SLEEPER,
      portDefinitions: [
        { port: 0, name: 'http', protocol: 'tcp', labels: {} },
        { port: 0, name: 'admin', protocol: 'tcp', labels: {} },
      ],
    }),
  ]);
  const localStore = newStore();
  const local = await localSource(ctx, apps, localStore);
  // Settled: every task running and no event still on its way.
  await until(async () => running(localStore.current), (n) => n === 3, 10_000);
  await local.refresh();

  const mesosStore = newStore();
  const mesos = new MesosSource({
    masters: [local.cluster.url],
    marathon: local.cluster.url,
    refreshMs: 60_000,
    timeoutMs: 2000,
    store: mesosStore,
    logger: silent,
    followEvents: false,
  });
  ctx.onTestFinished(() => mesos.close());
  await mesos.refresh();
  await local.refresh();

  const fromLocal = localStore.current!;
  const fromMesos = mesosStore.current!;
  expect(fromLocal.source.kind).toBe('local');
  expect(fromMesos.source.kind).toBe('mesos');
  expect(comparable(fromLocal)).toEqual(comparable(fromMesos));
  // And it carries what DNS and the gateway need: app ids, labels, ports, IPs.
  const web = tasksOf(fromLocal).find((t) => t.appId === '/grp/web')!;
  expect(web).toMatchObject({ name: 'web.grp', state: 'TASK_RUNNING', ips: { netinfo: ['127.0.0.1'] } });
  expect(web.discovery?.ports.map((p) => p.name)).toEqual(['http', 'admin']);
  // Port labels reach the task's DiscoveryInfo with Marathon's network-scope for host networking: the mesh's VIPs.
  const hello = tasksOf(fromLocal).find((t) => t.appId === '/hello')!;
  expect(hello.vipLabels).toEqual([
    {
      key: 'VIP_0',
      value: '/hello:8000',
      protocol: 'tcp',
      backendPort: hello.resources.ports[0],
      scope: 'host',
      target: { kind: 'named', name: '/hello', port: 8000 },
    },
  ]);
  expect(fromLocal.apps.find((a) => a.id === '/hello')?.labels).toMatchObject({ DCOS_SERVICE_NAME: 'hello' });
  expect(fromLocal.frameworks[0]).toMatchObject({ name: 'marathon', webuiUrl: local.cluster.url });
  expect(fromLocal.agents).toHaveLength(2);
});

test.concurrent('task changes reach the store through the event stream, without waiting for a poll', async (ctx) => {
  const apps = new MemoryApps([]);
  const store = newStore();
  await localSource(ctx, apps, store); // polls only every 60 s
  apps.set([appDefinition({ id: '/late', cmd: SLEEPER, instances: 2 })]);
  const snapshot = await until(async () => store.current, (s) => running(s) === 2, 10_000);
  expect(running(snapshot)).toBe(2);
  apps.set([appDefinition({ id: '/late', cmd: SLEEPER, instances: 1, version: 'one' })]);
  const after = await until(async () => store.current, (s) => running(s) === 1, 10_000);
  expect(running(after)).toBe(1);
});

test.concurrent('a failing health check shows as unhealthy in the snapshot, then the task leaves it', async (ctx) => {
  // Checked every 0.2 s and restarted 0.1 s after the kill: the case needs "after 3 failures", not Marathon's pace.
  const check = httpHealthCheck({ maxConsecutiveFailures: 3, intervalSeconds: 0.2 });
  const apps = new MemoryApps([appDefinition({ id: '/checked', backoffSeconds: 0.1, healthChecks: [check] })]);
  const store = newStore();
  const source = await localSource(ctx, apps, store);
  const healthy = await until(async () => store.current, (s) => Boolean(s && tasksOf(s).some((t) => t.health === 'healthy')), 10_000);
  const task = tasksOf(healthy!).find((t) => t.health === 'healthy')!;
  const agent = source.cluster.agents.find((a) => a.task(task.id))!;
  await writeFile(join(agent.task(task.id)!.sandbox, 'fail'), '');
  const unhealthy = await until(async () => store.current, (s) => tasksOf(s!).some((t) => t.id === task.id && t.health === 'unhealthy'), 10_000);
  expect(tasksOf(unhealthy!).find((t) => t.id === task.id)?.health).toBe('unhealthy');
  const gone = await until(
    async () => store.current,
    (s) => !tasksOf(s!).some((t) => t.id === task.id && t.state === 'TASK_RUNNING') && running(s) === 1,
    15_000,
  );
  expect(tasksOf(gone!).filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id)).not.toContain(task.id);
});
