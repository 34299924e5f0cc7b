// A killed task goes TASK_KILLING, then TASK_KILLED, everywhere Mesos and Marathon show it: on the
// operator API's SUBSCRIBE stream, in the master's completed tasks, on Marathon's event stream, and in
// the snapshot Gatehouse builds (killing, still of its app and with its health, then gone), whether
// the scheduler killed it for its health checks, for a scale-down, or because the API asked.
// The tasks ignore SIGTERM, so TASK_KILLING lasts the kill grace period and every reader can see it.
// Each case kills a task of its own app (every reader is filtered by the victim's id), so the three
// run at once on the one cluster: they mostly wait out that grace period.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore, tasksOf } from '../../../cluster/index.js';
import { LocalSource } from '../../../cluster/local/local-source.js';
import { parsePortRanges } from '../../../cluster/local/master/resources.js';
import { appDefinition, httpHealthCheck, MemoryApps } from '../../support/local-apps.js';
import { followMarathonEvents, type MarathonStream } from '../../support/marathon-stream.js';
import { subscribe, type Subscription } from '../../support/operator-api.js';
import { until } from '../../support/until.js';

const STUBBORN = "trap '' TERM; sleep 600";
const sick = appDefinition({
  id: '/sick',
  cmd: STUBBORN,
  portDefinitions: [],
  killGracePeriodSeconds: 0.8,
  healthChecks: [
    httpHealthCheck({ protocol: 'COMMAND', command: 'test ! -e fail', gracePeriodSeconds: 0, intervalSeconds: 0.2, maxConsecutiveFailures: 1 }),
  ],
});
const stubborn = (id: string, instances = 1) => appDefinition({ id, cmd: STUBBORN, portDefinitions: [], instances, killGracePeriodSeconds: 0.8 });
const steady = stubborn('/steady');
const shrinking = (instances: number) => stubborn('/shrinking', instances);

const silent = pino({ level: 'silent' });
const apps = new MemoryApps([sick, steady, shrinking(2)]);
const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: silent });
let workDir = '';
let source: LocalSource;
let operator: Subscription;
let marathon: MarathonStream;
const operatorEvents: any[] = [];
/** Per task: each distinct (state, app, health) the published snapshots showed, and `gone` once it left. */
const snapshots = new Map<string, string[]>();

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'gatehouse-kill-states-'));
  source = new LocalSource({
    apps,
    agents: 1,
    workDir,
    listen: { host: '127.0.0.1', port: 0 },
    resources: { cpus: 2, mem: 2048, disk: 1024, ports: parsePortRanges('21400-21409') },
    isolation: 'auto',
    logger: silent,
    store,
    refreshMs: 60_000,
  });
  store.subscribe((snapshot) => {
    const present = new Set<string>();
    for (const task of tasksOf(snapshot)) {
      present.add(task.id);
      const seen = snapshots.get(task.id) ?? [];
      const now = `${task.state} ${task.appId} ${task.health}`;
      if (seen.at(-1) !== now) seen.push(now);
      snapshots.set(task.id, seen);
    }
    for (const [id, seen] of snapshots) if (!present.has(id) && seen.at(-1) !== 'gone') seen.push('gone');
  });
  await source.start();
  operator = await subscribe(source.cluster.url, 'json');
  void (async () => {
    for (;;) operatorEvents.push(await operator.next(() => true, 600_000));
  })().catch(() => undefined);
  marathon = await followMarathonEvents(source.cluster.url, ['status_update_event']);
  await until(() => marathonTasks(), (tasks) => tasks.filter((t) => t.state === 'TASK_RUNNING').length === 4, 15_000);
}, 30_000);

afterAll(async () => {
  operator?.close();
  marathon?.close();
  await source?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function marathonTasks(): Promise<{ id: string; appId: string; state: string; stagedAt: string }[]> {
  return ((await (await fetch(`${source.cluster.url}/v2/tasks`)).json()) as { tasks: never[] }).tasks;
}

async function completedIds(): Promise<Set<string>> {
  const state = (await (await fetch(`${source.cluster.url}/master/state`)).json()) as { frameworks: { completed_tasks: { id: string }[] }[] };
  return new Set(state.frameworks.flatMap((f) => f.completed_tasks.map((t) => t.id)));
}

const running = async (appId: string) => (await marathonTasks()).filter((t) => t.appId === appId && t.state === 'TASK_RUNNING');

const cases: { name: string; appId: string; health: string; kill: () => Promise<void> }[] = [
  {
    name: 'killed by its health checks',
    appId: '/sick',
    health: 'unhealthy',
    kill: async () => {
      const [task] = await running('/sick');
      const sandbox = source.cluster.agents[0]!.task(task!.id)!.sandbox;
      await writeFile(join(sandbox, 'fail'), '');
    },
  },
  {
    name: 'killed through the API (DELETE /v2/apps/<app>/tasks/<task>)',
    appId: '/steady',
    health: 'unknown',
    kill: async () => {
      const [task] = await running('/steady');
      const response = await fetch(`${source.cluster.url}/v2/apps/steady/tasks/${task!.id}`, { method: 'DELETE' });
      expect(response.status).toBe(200);
    },
  },
  {
    name: 'killed by a scale-down',
    appId: '/shrinking',
    health: 'unknown',
    kill: async () => {
      expect(await running('/shrinking')).toHaveLength(2);
      // The other apps' definitions unchanged: only this one scales.
      apps.set([sick, steady, shrinking(1)]);
    },
  },
];

describe('a killed task shows TASK_KILLING, then TASK_KILLED', () => {
  it.concurrent.each(cases)('$name', async ({ appId, health, kill }) => {
    const before = await completedIds();
    await kill();
    const prefix = `${appId.slice(1)}.`;
    const completed = await until(completedIds, (ids) => [...ids].some((id) => !before.has(id) && id.startsWith(prefix)), 15_000);
    const victim = [...completed].find((id) => !before.has(id) && id.startsWith(prefix))!;

    const master = (await (await fetch(`${source.cluster.url}/master/state`)).json()) as any;
    const record = master.frameworks[0].completed_tasks.find((t: any) => t.id === victim);
    expect(record.state).toBe('TASK_KILLED');
    expect(record.statuses.map((s: any) => s.state).slice(-3)).toEqual(['TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);

    const updates = () => operatorEvents.filter((e) => e.type === 'TASK_UPDATED' && e.task_updated.status.task_id.value === victim);
    await until(async () => updates().map((e) => e.task_updated.state), (states) => states.includes('TASK_KILLED'), 5_000);
    expect(updates().map((e) => e.task_updated.state).slice(-3)).toEqual(['TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);

    // Marathon tells its subscribers too (the gateway's and DNS's sources refresh on it).
    const marathonStates = () => marathon.events.filter((e) => e['taskId'] === victim).map((e) => e['taskStatus']);
    await until(async () => marathonStates(), (states) => states.includes('TASK_KILLED'), 5_000);
    expect(marathonStates().slice(-3)).toEqual(['TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);

    // The snapshot: while killing, still the app's task (with its last health), then gone.
    const seen = await until(async () => snapshots.get(victim) ?? [], (list) => list.at(-1) === 'gone', 5_000);
    expect(seen).toContain(`TASK_KILLING ${appId} ${health}`);
    expect(seen.indexOf(`TASK_KILLING ${appId} ${health}`)).toBeGreaterThan(seen.findIndex((s) => s.startsWith('TASK_RUNNING')));
  });
});
