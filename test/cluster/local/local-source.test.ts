// `cluster.source: local` publishes exactly what the `mesos` source (with Marathon) reads from the
// embedded master's own HTTP API, and task changes reach the store through Marathon's event stream.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { ClusterStore, MesosSource, tasksOf, type Snapshot } from '../../../cluster/index.js';
import { LocalSource } from '../../../cluster/local/local-source.js';
import { parsePortRanges } from '../../../cluster/local/master/resources.js';
import { appDefinition, httpHealthCheck, MemoryApps } from '../../support/local-apps.js';
import { until } from '../../support/until.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const silent = pino({ level: 'silent' });
const newStore = (): ClusterStore => new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: silent });

async function localSource(apps: MemoryApps, store: ClusterStore): Promise<LocalSource> {
  const workDir = await mkdtemp(join(tmpdir(), 'gatehouse-local-source-'));
  closers.push(() => rm(workDir, { recursive: true, force: true }));
  const source = new LocalSource({
    apps, agents: 2, workDir, listen: { host: '127.0.0.1', port: 0 },
    resources: { cpus: 2, mem: 2048, disk: 1024, ports: parsePortRanges('20200-20399') }, isolation: 'auto', logger: silent, store, refreshMs: 60_000,
  });
  closers.push(() => source.close());
  await source.start();
  return source;
}

const running = (snapshot: Snapshot | null): number => (snapshot ? tasksOf(snapshot).filter((t) => t.state === 'TASK_RUNNING').length : 0);
const comparable = (s: Snapshot): unknown => ({ ...s, generation: 0, fetchedAt: 0, source: null });

test('the local snapshot equals what the mesos + Marathon sources build from the embedded API', async () => {
  const apps = new MemoryApps([
    appDefinition({
      id: '/hello',
      instances: 2,
      labels: { DCOS_SERVICE_NAME: 'hello', DCOS_SERVICE_PORT_INDEX: '0' },
      portDefinitions: [{ port: 0, name: 'web', protocol: 'tcp', labels: { VIP_0: '/hello:8000' } }],
    }),
    appDefinition({
      id: '/grp/web',
      portDefinitions: [
        { port: 0, name: 'http', protocol: 'tcp', labels: {} },
        { port: 0, name: 'admin', protocol: 'tcp', labels: {} },
      ],
    }),
  ]);
  const localStore = newStore();
  const local = await localSource(apps, localStore);
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
  closers.push(() => mesos.close());
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

test('task changes reach the store through the event stream, without waiting for a poll', async () => {
  const apps = new MemoryApps([]);
  const store = newStore();
  await localSource(apps, store); // polls only every 60 s
  apps.set([appDefinition({ id: '/late', instances: 2 })]);
  const snapshot = await until(async () => store.current, (s) => running(s) === 2, 10_000);
  expect(running(snapshot)).toBe(2);
  apps.set([appDefinition({ id: '/late', instances: 1, version: 'one' })]);
  const after = await until(async () => store.current, (s) => running(s) === 1, 10_000);
  expect(running(after)).toBe(1);
});

test('a failing health check shows as unhealthy in the snapshot, then the task leaves it', async () => {
  const apps = new MemoryApps([appDefinition({ id: '/checked', healthChecks: [httpHealthCheck({ maxConsecutiveFailures: 3 })] })]);
  const store = newStore();
  const source = await localSource(apps, store);
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
