// Marathon's app API on the embedded cluster, with the app files as the source of truth: every write
// lands in the apps folder (atomically, and not at all when it is invalid or the file changed under
// it), versions are Marathon timestamps kept across restarts, deployments are listed until reached
// and can be rolled back. One cluster (real master, agent, scheduler, app files on disk) per file;
// the catalog's watcher is slowed down so that the tests decide when a file edit is read.
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCatalog } from '../../../cluster/local/apps/app-catalog.js';
import { LocalCluster } from '../../../cluster/local/local-cluster.js';
import { parsePortRanges } from '../../../cluster/local/master/resources.js';
import { until } from '../../support/until.js';

type Json = any;
let dir: string;
let apps: string;
let cluster: LocalCluster;
let catalog: AppCatalog;
let base: string;

const GROUP_FILE = `# tools the team runs
id: /tools
apps:
  - id: web          # the web front
    cmd: sleep 600
    instances: 1
    cpus: 0.1
    mem: 32
  - id: worker
    cmd: sleep 600
    instances: 0
    cpus: 0.1
    mem: 32
`;

async function startCluster(): Promise<void> {
  catalog = new AppCatalog({ dir: apps, logger: pino({ level: 'silent' }), pollMs: 600_000, debounceMs: 600_000 });
  cluster = new LocalCluster({
    apps: catalog, agents: 1, workDir: join(dir, 'work'), listen: { host: '127.0.0.1', port: 0 }, isolation: 'none',
    logger: pino({ level: process.env['TEST_LOG'] ?? 'silent' }), resources: { cpus: 2, mem: 1024, disk: 1024, ports: parsePortRanges('20900-20999') },
  });
  await cluster.start();
  base = cluster.url;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-marathon-api-'));
  apps = join(dir, 'apps.d');
  await mkdir(apps);
  await writeFile(join(apps, 'tools.yaml'), GROUP_FILE);
  await startCluster();
  // The apps of the file are deploying at first: the tests start from a cluster at rest.
  await until(deployments, (list) => list.length === 0, 20_000);
}, 30_000);

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

const files = async (): Promise<Record<string, string>> =>
  Object.fromEntries(
    await Promise.all((await readdir(apps)).sort().map(async (name) => [name, await readFile(join(apps, name), 'utf8')] as const)),
  );
const deployments = async (): Promise<Json[]> => (await call('GET', '/v2/deployments')).body;
const settled = (id: string): Promise<Json[]> => until(deployments, (list) => !list.some((d: Json) => d.id === id), 20_000);

// Each case runs alone too: the state a case acts on that an earlier case makes (/echo, a second
// version of /tools/web, worker tasks) it makes itself when missing; in the file's order nothing changes.
/** /echo as the first case creates it, and no deployment under way. */
async function echoAtRest(): Promise<void> {
  if ((await call('GET', '/v2/apps/echo')).status === 404) {
    const created = await call('POST', '/v2/apps', { id: '/echo', cmd: 'sleep 600', instances: 1, cpus: 0.1, mem: 32 });
    await settled(created.body.deployments[0].id);
  }
  await until(deployments, (list) => list.length === 0, 20_000);
}

/** /tools/worker with `count` tasks running. */
async function workerRunning(count: number): Promise<Json[]> {
  if ((await call('GET', '/v2/apps/tools/worker')).body.app.instances !== count) {
    const scaled = await call('PUT', '/v2/apps/tools/worker?force=true', { instances: count });
    await settled(scaled.body.deploymentId);
  }
  const running = await until(
    () => call('GET', '/v2/apps/tools/worker/tasks'),
    (a) => a.body.tasks.length === count && a.body.tasks.every((t: Json) => t.state === 'TASK_RUNNING'),
    15_000,
  );
  return running.body.tasks;
}

describe('Marathon app API on the app files', () => {
  it('POST /v2/apps writes a new app file in the folder\'s format and answers 201 with the deployment', async () => {
    const created = await call('POST', '/v2/apps', { id: '/echo', cmd: 'sleep 600', instances: 1, cpus: 0.1, mem: 32, container: null, constraints: [] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: '/echo', instances: 1, deployments: [{ id: expect.any(String) }] });
    expect(created.headers.get('marathon-deployment-id')).toBe(created.body.deployments[0].id);
    expect((await files())['echo.yaml']).toBe('id: /echo\ncmd: sleep 600\ninstances: 1\ncpus: 0.1\nmem: 32\n');
    await settled(created.body.deployments[0].id);
    expect((await call('GET', '/v2/apps/echo')).body.app).toMatchObject({ tasksRunning: 1, deployments: [] });
    expect((await call('POST', '/v2/apps', { id: 'echo', cmd: 'sleep 1' })).body).toEqual({ message: 'An app with id [/echo] already exists.' });
  });

  it('of two creations of an app sent together, the second is 409 "already exists" and the first one\'s file stays', async () => {
    const [first, second] = await Promise.all([
      call('POST', '/v2/apps', { id: '/twin', cmd: 'sleep 601', instances: 0 }),
      call('POST', '/v2/apps', { id: '/twin', cmd: 'sleep 602', instances: 0 }),
    ]);
    expect([first.status, second.status]).toEqual([201, 409]);
    expect(second.body).toEqual({ message: 'An app with id [/twin] already exists.' });
    expect((await files())['twin.yaml']).toContain('sleep 601');
    await settled(first.body.deployments[0].id);
    expect((await call('DELETE', '/v2/apps/twin')).status).toBe(200);
  });

  it('PUT edits the app in its group file in place: comments, the other app and the relative id stay', async () => {
    const put = await call('PUT', '/v2/apps/tools/web', { instances: 2 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ deploymentId: expect.any(String), version: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect((await files())['tools.yaml']).toBe(GROUP_FILE.replace('    instances: 1\n', '    instances: 2\n'));
    // A scale-up of a task that starts in milliseconds can be reached before this read (CI saw it):
    // while it is listed it must say what it does; that it was reached is checked below either way.
    const listed = (await deployments()).filter((d: Json) => d.id === put.body.deploymentId);
    for (const deployment of listed)
      expect(deployment).toMatchObject({
        affectedApps: ['/tools/web'],
        currentActions: [{ action: 'ScaleApplication', app: '/tools/web' }],
        currentStep: 1,
        totalSteps: 1,
      });
    await settled(put.body.deploymentId);
    expect((await call('GET', '/v2/apps/tools/web')).body.app).toMatchObject({ instances: 2, tasksRunning: 2, version: put.body.version });
  });

  const badDefinitions = [
    { name: 'instances as a string', body: { instances: 'two' }, path: '/instances' },
    { name: 'a negative cpus', body: { cpus: -1 }, path: '/cpus' },
    { name: 'a health check port index out of range', body: { healthChecks: [{ protocol: 'TCP', portIndex: 3 }] }, path: '/healthChecks(0)/portIndex' },
    { name: 'an env value that is a number', body: { env: { PORT: 80 } }, path: '/env/PORT' },
    { name: 'an unknown key', body: { colour: 'blue' }, path: '/colour' },
    { name: 'a full replacement without cmd or args', body: { instances: 2 }, path: '/', query: '?partialUpdate=false' },
  ];
  it.each(badDefinitions)('PUT with $name: 422 naming $path, nothing on disk changed', async ({ body, path, ...rest }) => {
    await echoAtRest();
    const before = await files();
    const answer = await call('PUT', `/v2/apps/echo${'query' in rest ? rest.query : ''}`, body);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toBe('Object is not valid');
    expect(answer.body.details).toContainEqual({ path, errors: [expect.any(String)] });
    expect(await files()).toEqual(before);
  });

  const badRequests = [
    { name: 'a body that is not JSON', method: 'PUT', path: '/v2/apps/echo', body: '{"instances": ', status: 400, message: 'Invalid JSON' },
    {
      name: 'a body over 1 MiB',
      method: 'POST',
      path: '/v2/apps',
      body: JSON.stringify({ id: '/big', cmd: 'x'.repeat(1_100_000) }),
      status: 413,
      message: /exceeds the limit of 1048576 bytes/,
    },
    { name: 'an empty body', method: 'PUT', path: '/v2/apps/echo', body: '', status: 400, message: 'Invalid JSON' },
    {
      name: 'a body that is not JSON by its type',
      method: 'POST',
      path: '/v2/apps',
      body: 'id=/x',
      status: 415,
      message: /Unsupported Media Type/,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      name: 'PATCH of an unknown app',
      method: 'PATCH',
      path: '/v2/apps/nope',
      body: '{"instances": 1}',
      status: 404,
      message: "App '/nope' does not exist",
    },
    {
      name: 'DELETE of an unknown app',
      method: 'DELETE',
      path: '/v2/apps/nope',
      body: undefined,
      status: 404,
      message: "App '/nope' does not exist",
    },
    {
      name: 'GET of an unknown app',
      method: 'GET',
      path: '/v2/apps/nope/versions',
      body: undefined,
      status: 404,
      message: "App '/nope' does not exist",
    },
    {
      name: 'a version that is no timestamp',
      method: 'GET',
      path: '/v2/apps/echo/versions/yesterday',
      body: undefined,
      status: 422,
      message: "Invalid timestamp provided 'yesterday'. Expecting ISO-8601 datetime string.",
    },
    {
      name: 'an unknown deployment',
      method: 'DELETE',
      path: '/v2/deployments/0000',
      body: undefined,
      status: 404,
      message: 'DeploymentPlan 0000 does not exist',
    },
    {
      name: 'a task kill with scale and wipe',
      method: 'POST',
      path: '/v2/tasks/delete?scale=true&wipe=true',
      body: '{"ids": []}',
      status: 400,
      message: 'You cannot use scale and wipe at the same time.',
    },
  ];
  it.each(badRequests)('$name: $status', async ({ method, path, body, status, message, ...rest }) => {
    await echoAtRest();
    const before = await files();
    const answer = await call(method, path, body, 'headers' in rest ? rest.headers : {});
    expect(answer.status).toBe(status);
    expect(answer.body.message).toMatch(message);
    expect(await files()).toEqual(before);
  });

  it('a deployment in progress locks the app: 409 without force, force supersedes it, and DELETE rolls it back', async () => {
    await echoAtRest();
    const stuck = await call('PUT', '/v2/apps/echo', { cpus: 64 });
    expect(stuck.status).toBe(200);
    expect((await call('GET', '/v2/queue')).body.queue[0]).toMatchObject({ app: { id: '/echo', deployments: [{ id: stuck.body.deploymentId }] }, count: 1 });
    const locked = await call('PUT', '/v2/apps/echo', { mem: 48 });
    expect(locked.status).toBe(409);
    expect(locked.body).toEqual({
      message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${stuck.body.deploymentId}'.`,
      deployments: [{ id: stuck.body.deploymentId }],
    });
    expect((await files())['echo.yaml']).toContain('cpus: 64');
    const rollback = await call('DELETE', `/v2/deployments/${stuck.body.deploymentId}`);
    expect(rollback.status).toBe(200);
    expect((await files())['echo.yaml']).toContain('cpus: 0.1');
    await settled(rollback.body.deploymentId);
    const forced = await call('PUT', '/v2/apps/echo?force=true', { cpus: 64 });
    const stopped = await call('DELETE', `/v2/deployments/${forced.body.deploymentId}?force=true`);
    expect(stopped.status).toBe(202);
    expect((await deployments()).map((d: Json) => d.id)).not.toContain(forced.body.deploymentId);
    const last = await call('PUT', '/v2/apps/echo', { cpus: 0.1 });
    expect(last.status).toBe(200);
    await settled(last.body.deploymentId);
  });

  it('of two changes of an app sent together, the second sees the first\'s deployment: 409, and the file has the first', async () => {
    await echoAtRest();
    const [first, second] = await Promise.all([call('PUT', '/v2/apps/echo', { cpus: 64 }), call('PUT', '/v2/apps/echo', { cpus: 32 })]);
    expect([first.status, second.status]).toEqual([200, 409]);
    expect((await files())['echo.yaml']).toContain('cpus: 64');
    const back = await call('DELETE', `/v2/deployments/${first.body.deploymentId}`);
    expect((await files())['echo.yaml']).toContain('cpus: 0.1');
    await settled(back.body.deploymentId);
  });

  it('versions list newest first, each readable, and PUT {version} rolls the file back', async () => {
    if ((await call('GET', '/v2/apps/tools/web/versions')).body.versions.length < 2) {
      // The second version the in-place edit above makes.
      const put = await call('PUT', '/v2/apps/tools/web', { instances: 2 });
      await settled(put.body.deploymentId);
    }
    const { versions } = (await call('GET', '/v2/apps/tools/web/versions')).body;
    expect(versions).toHaveLength(2);
    expect([...versions].sort().reverse()).toEqual(versions);
    const first = await call('GET', `/v2/apps/tools/web/versions/${encodeURIComponent(versions[1].replace('Z', '+00:00'))}`);
    expect(first.body).toMatchObject({ id: '/tools/web', instances: 1, version: versions[1] });
    const back = await call('PUT', '/v2/apps/tools/web', { version: versions[1] });
    expect(back.status).toBe(200);
    expect((await files())['tools.yaml']).toContain('  - id: web          # the web front\n');
    expect((await call('GET', '/v2/apps/tools/web')).body.app.instances).toBe(1);
    await settled(back.body.deploymentId);
  });

  it('an operator\'s edit not yet read makes an API write 409 and is kept; once read, the API shows it', async () => {
    const edited = GROUP_FILE.replace('cmd: sleep 600\n    instances: 0', 'cmd: sleep 700\n    instances: 0');
    await writeFile(join(apps, 'tools.yaml'), edited);
    const refused = await call('PUT', '/v2/apps/tools/worker', { instances: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/tools\.yaml changed on disk since it was loaded/);
    expect((await files())['tools.yaml']).toBe(edited);
    await catalog.reload();
    expect((await call('GET', '/v2/apps/tools/worker')).body.app.cmd).toBe('sleep 700');
    expect((await call('PUT', '/v2/apps/tools/worker', { instances: 1 })).status).toBe(200);
    expect((await files())['tools.yaml']).toContain('cmd: sleep 700\n    instances: 1');
  });

  it('killing a task with scale=true kills that task (not the youngest) and writes one instance less', async () => {
    const scaled = await call('PUT', '/v2/apps/tools/worker?force=true', { instances: 2 });
    expect(scaled.status).toBe(200);
    await settled(scaled.body.deploymentId);
    const tasks = (await call('GET', '/v2/apps/tools/worker/tasks')).body.tasks.sort((a: Json, b: Json) => a.stagedAt.localeCompare(b.stagedAt));
    expect(tasks).toHaveLength(2);
    const killed = await call('DELETE', `/v2/apps/tools/worker/tasks/${tasks[0].id}?scale=true`);
    expect(killed.status).toBe(200);
    expect(killed.body.deploymentId).toEqual(expect.any(String));
    expect((await files())['tools.yaml']).toMatch(/- id: worker\n {4}cmd: sleep \d+\n {4}instances: 1\n/);
    await settled(killed.body.deploymentId);
    expect((await call('GET', '/v2/apps/tools/worker/tasks')).body.tasks.map((t: Json) => t.id)).toEqual([tasks[1].id]);
  });

  it('killing a task without scale kills it and the scheduler replaces it', async () => {
    const [task] = await workerRunning(1);
    const killed = await call('DELETE', `/v2/apps/tools/worker/tasks/${task.id}`);
    expect(killed.body.task.id).toBe(task.id);
    const after = await until(
      () => call('GET', '/v2/apps/tools/worker/tasks'),
      (a) => a.body.tasks.length === 1 && a.body.tasks[0].id !== task.id && a.body.tasks[0].state === 'TASK_RUNNING',
      15_000,
    );
    expect(after.body.tasks[0].id).not.toBe(task.id);
    expect((await files())['tools.yaml']).toMatch(/- id: worker\n {4}cmd: sleep \d+\n {4}instances: 1\n/);
  });

  it('POST /v2/tasks/delete kills the listed tasks; with scale=True (the Python CLI\'s spelling) the app is written with fewer', async () => {
    const [task] = await workerRunning(1);
    const killed = await call('POST', '/v2/tasks/delete', { ids: [task.id, 'tools_worker.unknown'] });
    expect(killed.status).toBe(200);
    expect(killed.body.tasks.map((t: Json) => t.id)).toEqual([task.id]);
    const [replacement] = (
      await until(
        () => call('GET', '/v2/apps/tools/worker/tasks'),
        (a) => a.body.tasks.length === 1 && a.body.tasks[0].id !== task.id && a.body.tasks[0].state === 'TASK_RUNNING',
        15_000,
      )
    ).body.tasks;
    const scaled = await call('POST', '/v2/tasks/delete?scale=True', { ids: [replacement.id] });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    expect((await files())['tools.yaml']).toMatch(/- id: worker\n {4}cmd: sleep \d+\n {4}instances: 0\n/);
    await settled(scaled.body.deploymentId);
    expect((await call('GET', '/v2/apps/tools/worker/tasks')).body.tasks).toEqual([]);
  });

  it('a filtered event stream answers its headers at once, not with the first heartbeat 15 s later', async () => {
    const stream = await fetch(`${base}/v2/events?event_type=deployment_success`, { signal: AbortSignal.timeout(5_000) });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    await stream.body!.cancel();
  });

  it('the event stream carries deployment_info, deployment_step_success, deployment_success, and deployment_failed for a superseded one', async () => {
    const controller = new AbortController();
    const stream = await fetch(
      `${base}/v2/events?event_type=deployment_info&event_type=deployment_step_success&event_type=deployment_success&event_type=deployment_failed`,
      { signal: controller.signal },
    );
    const events: Json[] = [];
    const reader = stream.body!.getReader();
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        buffer += decoder.decode(read.value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          if (data) events.push(JSON.parse(data));
          buffer = buffer.slice(end + 2);
        }
      }
    })().catch(() => undefined);
    try {
      const stuck = (await call('PUT', '/v2/apps/tools/worker', { cpus: 64, instances: 1 })).body;
      const forced = (await call('PUT', '/v2/apps/tools/worker?force=true', { cpus: 0.1, instances: 0 })).body;
      await until(async () => events, (list) => list.some((e) => e.eventType === 'deployment_success' && e.id === forced.deploymentId), 15_000);
      const of = (id: string): string[] => events.filter((e) => (e.id ?? e.plan?.id) === id).map((e) => e.eventType);
      expect(of(stuck.deploymentId)).toEqual(['deployment_info', 'deployment_failed']);
      expect(of(forced.deploymentId)).toEqual(['deployment_info', 'deployment_step_success', 'deployment_success']);
      const info = events.find((e) => e.eventType === 'deployment_info' && e.plan.id === forced.deploymentId);
      expect(info).toMatchObject({
        timestamp: expect.any(String),
        plan: { version: forced.version, steps: [{ actions: [{ action: 'RestartApplication', app: '/tools/worker' }] }] },
        currentStep: { actions: [{ action: 'RestartApplication', app: '/tools/worker' }] },
      });
    } finally {
      await reader.cancel();
      controller.abort();
      await reading;
    }
  });

  it('restart replaces every task under a new version; the file is unchanged', async () => {
    await echoAtRest();
    const before = await files();
    const old = (await call('GET', '/v2/apps/echo')).body.app;
    const restarted = await call('POST', '/v2/apps/echo/restart', {});
    expect(restarted.status).toBe(200);
    expect(restarted.body.version > old.version).toBe(true);
    await settled(restarted.body.deploymentId);
    const app = (await call('GET', '/v2/apps/echo')).body.app;
    expect(app.tasks.map((t: Json) => t.id)).not.toContain(old.tasks[0].id);
    expect(app.versionInfo).toEqual({ lastScalingAt: restarted.body.version, lastConfigChangeAt: restarted.body.version });
    expect(await files()).toEqual(before);
  });

  it('GET /v2/groups shows the group tree', async () => {
    await echoAtRest();
    const root = (await call('GET', '/v2/groups')).body;
    expect(root).toMatchObject({
      id: '/',
      apps: [{ id: '/echo' }],
      groups: [{ id: '/tools', enforceRole: false, apps: [{ id: '/tools/web' }, { id: '/tools/worker' }], groups: [] }],
      pods: [],
    });
    expect((await call('GET', '/v2/groups/tools')).body.id).toBe('/tools');
    expect((await call('GET', '/v2/groups/nope')).body).toEqual({ message: "Group '/nope' does not exist" });
  });

  it('versions survive a restart of Gatehouse, and DELETE removes the app file', async () => {
    await echoAtRest();
    const versions = (await call('GET', '/v2/apps/echo/versions')).body.versions;
    await cluster.close();
    await startCluster();
    expect((await call('GET', '/v2/apps/echo/versions')).body.versions).toEqual(versions);
    expect((await call('GET', '/v2/apps/echo')).body.app.version).toBe(versions[0]);
    const removed = await call('DELETE', '/v2/apps/echo');
    expect(removed.status).toBe(200);
    expect(Object.keys(await files())).toEqual(['tools.yaml']);
    await settled(removed.body.deploymentId);
    expect((await call('GET', '/v2/apps/echo')).status).toBe(404);
  });
});
