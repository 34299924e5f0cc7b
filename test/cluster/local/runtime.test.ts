// What the embedded cluster does over time, on real processes: the restart backoff starts again at
// its base once a task has run long enough, offers nobody answers are rescinded, a task that ignores
// SIGTERM gets SIGKILL once its kill grace period is over (not before), every process of a task goes
// when the cluster stops, and the state keeps only the newest finished tasks. Task ports 21420-21449.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { describe, expect, it, type TestContext } from 'vitest';
import type { FrameworkScheduler, Offer } from '../../../cluster/local/master/master.js';
import { TERMINAL_STATES } from '../../../cluster/local/master/task-messages.js';
import { appDefinition } from '../../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../../support/local-cluster.js';
import { descendants, isGone } from '../../support/process-tree.js';
import { until } from '../../support/until.js';

// The cases run at once (each mostly waits on timers and processes): each has its own cluster, task
// ports and clean-up (run in reverse order when the case ends).
async function cluster(ctx: TestContext, ...args: Parameters<typeof startTestCluster>): Promise<TestCluster> {
  const c = await startTestCluster(...args);
  ctx.onTestFinished(() => c.close());
  return c;
}

async function tempDir(ctx: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-runtime-'));
  ctx.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger whose JSON lines the test reads back. */
function capturingLogger(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe.concurrent('restart backoff', () => {
  it('grows with each failure, and starts again at backoffSeconds once a task ran longer than the reset time', async (ctx) => {
    const dir = await tempDir(ctx);
    // Runs 1 and 2 fail at once (well within the 1 s reset); run 3 stays up for 1.6 s (past the reset)
    // and then fails; run 4 stays.
    const cmd = [
      `n=$(cat ${dir}/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/runs`,
      'if [ $n -le 2 ]; then exit 1; fi',
      'if [ $n -eq 3 ]; then sleep 1.6; exit 1; fi',
      'exec sleep 600',
    ].join('; ');
    const { logger, lines } = capturingLogger();
    const app = appDefinition({ id: '/flaky', cmd, portDefinitions: [], backoffSeconds: 0.2, backoffFactor: 4, maxLaunchDelaySeconds: 60 });
    await cluster(ctx, [app], { logger, backoffResetMs: 1000, isolation: 'none', resources: { ports: '21420-21429' } });
    const restarts = () => lines.filter((l) => l.msg === 'task ended unexpectedly; restarting after backoff').map((l) => l.restartInMs);
    await until(async () => restarts(), (delays) => delays.length === 3, 15_000);
    // 0.2 s, then 0.2 × 4; without the reset the third would be 3.2 s.
    expect(restarts()).toEqual([200, 800, 200]);
    await until(async () => (await readFile(join(dir, 'runs'), 'utf8')).trim(), (runs) => runs === '4', 5_000);
  });
});

describe.concurrent('offers', () => {
  it('an offer left unanswered is rescinded after the offer timeout, and its resources are offered again', async (ctx) => {
    const c = await cluster(ctx, [], { offerTimeoutMs: 300, allocationIntervalMs: 100, resources: { cpus: 2, ports: '21430-21434' } });
    const held: Offer[] = [];
    // A framework that takes every offer and never answers.
    const hoarder: FrameworkScheduler = {
      name: 'hoarder',
      webuiUrl: null,
      resourceOffers: (offers) => void held.push(...offers),
      statusUpdate: () => undefined,
    };
    const id = c.cluster.master.registerFramework(hoarder);
    ctx.onTestFinished(() => void c.cluster.master.removeFramework(id));
    const first = (await until(async () => held[0], (offer) => offer !== undefined, 5_000))!;
    // Offers live 300 ms and the next round comes up to 100 ms after one goes, so a read of the state
    // may fall between two: every read is kept, and each must be all the agent has or nothing.
    const seen: number[] = [];
    const offered = async () => {
      const cpus = (await c.get('/master/state')).slaves[0].offered_resources.cpus as number;
      seen.push(cpus);
      return cpus;
    };
    expect(await until(offered, (cpus) => cpus !== 0, 5_000)).toBe(2);
    // Rescinded: it can no longer be used, and the same resources come back in a new offer.
    await until(async () => held.length, (n) => n >= 2, 5_000);
    expect(() => c.cluster.master.accept(first.id, [])).toThrow(expect.objectContaining({ code: 'ERR_CLUSTER_LOCAL_OFFER_INVALID' }));
    expect(held[1]!.id).not.toBe(first.id);
    expect(held[1]!.resources.cpus).toBe(2);
    // Never more out on offer than the agent has: the old offer's resources left before the new one came.
    expect(await until(offered, (cpus) => cpus !== 0, 5_000)).toBe(2);
    await until(async () => (await offered(), held.length), (n) => n >= 4, 5_000);
    expect(seen.filter((cpus) => cpus !== 0 && cpus !== 2)).toEqual([]);
  });
});

describe.concurrent('killing a task', () => {
  it('sends SIGTERM first and SIGKILL only once taskKillGracePeriodSeconds are over', async (ctx) => {
    const cmd = "trap 'echo got SIGTERM' TERM; echo ready; while :; do sleep 0.1; done";
    const c = await cluster(ctx, [appDefinition({ id: '/stubborn', cmd, portDefinitions: [], killGracePeriodSeconds: 1.5 })], {
      resources: { ports: '21440-21444' },
    });
    const [task] = await until(async () => c.cluster.agents[0]!.tasks(), (tasks) => tasks.length === 1 && tasks[0]!.pid !== null, 10_000);
    const stdout = () => readFile(join(task!.sandbox, 'stdout'), 'utf8');
    // Its trap is set (a SIGTERM before that would end it at once).
    await until(stdout, (out) => out.includes('ready'), 5_000);
    const askedAt = Date.now();
    const response = await fetch(`${c.url}/v2/apps/stubborn/tasks/${task!.launch.taskId}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    // SIGTERM arrives first, and the task outlives it: still killing, its process still there.
    await until(stdout, (out) => out.includes('got SIGTERM'), 5_000);
    expect(c.cluster.agents[0]!.task(task!.launch.taskId)).toBeDefined();
    const completed = async () => (await c.get('/master/state')).frameworks[0].completed_tasks as any[];
    const [killed] = await until(completed, (tasks) => tasks.length === 1, 10_000);
    const last = killed.statuses.at(-1);
    expect(last).toMatchObject({ state: 'TASK_KILLED', message: 'Task killed (command terminated by signal sigkill)' });
    // Not before the grace period (a timer never fires early; the margin is the clock's rounding).
    expect(last.timestamp * 1000).toBeGreaterThanOrEqual(askedAt + 1500 - 50);
  });
});

describe.concurrent('stopping the cluster', () => {
  it('takes every process of every task with it, daemons in their own session included', async (ctx) => {
    const cmd = 'setsid sleep 600 & sleep 600 & trap "" TERM; wait';
    const c = await startTestCluster([appDefinition({ id: '/tree', cmd, portDefinitions: [], instances: 2, killGracePeriodSeconds: 0.5 })], {
      resources: { ports: '21445-21449' },
    });
    let closed = false;
    ctx.onTestFinished(async () => void (closed || (await c.close())));
    const sleeps = (procs: readonly { cmdline: string }[]) => procs.filter((p) => p.cmdline === 'sleep 600').length;
    const trees = await until(
      async () => Promise.all(c.cluster.agents[0]!.tasks().map((t) => (t.pid === null ? [] : descendants(t.pid)))),
      (list) => list.length === 2 && list.every((procs) => sleeps(procs) === 2),
      10_000,
    );
    const procs = trees.flat();
    closed = true;
    await c.close();
    const left = [];
    for (const proc of procs) if (!(await isGone(proc))) left.push(proc);
    expect(left).toEqual([]);
  });
});

describe.concurrent('completed tasks', () => {
  it('the state keeps the newest max_completed_tasks_per_framework finished tasks, oldest dropped first', async (ctx) => {
    const app = appDefinition({ id: '/blink', cmd: 'exit 0', portDefinitions: [], backoffSeconds: 0.05, backoffFactor: 1 });
    const c = await cluster(ctx, [app], { maxCompletedTasks: 3, resources: { ports: '21435-21439' } });
    const ended: string[] = [];
    c.cluster.master.on('event', (event) => {
      if (event.type === 'TASK_UPDATED' && TERMINAL_STATES.has(event.status.state)) ended.push(event.task.launch.taskId);
    });
    await until(async () => ended.length, (n) => n >= 5, 15_000);
    c.apps.set([]);
    await until(async () => c.cluster.agents[0]!.tasks().length, (n) => n === 0, 5_000);
    const completed = (await c.get('/master/state')).frameworks[0].completed_tasks.map((t: any) => t.id);
    expect(completed).toEqual(ended.slice(-3));
    // The flags say what the master does.
    expect((await c.get('/master/state')).flags).toMatchObject({ max_completed_tasks_per_framework: '3' });
  });
});
