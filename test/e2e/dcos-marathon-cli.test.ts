// `dcos marathon …` (dcos/dcos-core-cli 2.2, with go-marathon and the bundled Python CLI) against the
// real `gatehouse run` binary and its embedded cluster, through the gateway at /service/marathon as
// the CLI reaches Marathon on DC/OS. The `dcos` CLI cannot be installed here, so each command's HTTP
// requests are replayed in order, with the headers its HTTP clients put on them, and the answers are
// checked the way the CLI reads them; DNS is checked with dig after add, update, restart and remove.
// Sources (read, not copied), per step below:
//
//   pkg/marathon/client.go             NewClient: base URL <cluster>/service/marathon; Applications,
//                                      Deployments, Queue, GroupsWithoutRootSlash: GET through the
//                                      plugin's HTTP client (Authorization: token=…, no Accept); AddApp:
//                                      GET v2/apps/<id> (404 expected) then POST v2/apps/ with the file's JSON.
//   pkg/cmd/marathon/app/app_list.go   `app list`: GET v2/apps, then v2/deployments and v2/queue; reads
//                                      mem, cpus, instances, tasksRunning, deployments[].id, currentActions.
//   pkg/cmd/marathon/app/app_version_list.go  `app version list`: go-marathon ApplicationVersions.
//   pkg/cmd/marathon/app/app_restart.go `app restart`: GET v2/apps/<id> (instances > 0), then go-marathon
//                                      RestartApplication: POST v2/apps/<id>/restart, body {}.
//   pkg/cmd/marathon/app/app_remove.go `app remove`: go-marathon DeleteApplication: DELETE v2/apps/<id>.
//   go-marathon client.go              every call: Content-Type and Accept application/json; ids without
//                                      the leading slash; force only as ?force=true when asked.
//   python/lib/dcoscli/dcoscli/marathon/main.py  `app update`: get_app, then update_app with the
//                                      key=value items as JSON; `deployment list`: get_deployments, an
//                                      empty list is the error "There are no deployments".
//   python/lib/dcos/dcos/marathon.py   the Python client: PUT v2/apps/<id> (params force only when set),
//                                      GET v2/deployments; requests' headers plus Accept: application/json.
//   pkg/cmd/quota/quota_list.go        `quota list`: GET /service/marathon/v2/groups (top-level group ids).
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';
import { writeEmbeddedConfig } from '../support/embedded-config.js';

type Json = any;
let dir: string;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let gateway: string;
let token: string;

const HELLO = 'id: /hello\ninstances: 1\ncpus: 0.1\nmem: 32\ncmd: sleep 600\n';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-dcos-marathon-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'hello.yaml'), HELLO);
  const config = await writeEmbeddedConfig(dir, { ports: '20700-20799', isolation: 'none', dnsTtl: 0 });
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  gateway = `http://127.0.0.1:${running['gatewayPort']}`;
  token = await tokenFor(config, 'operator');
  await until(() => srv('hello'), (ports) => ports.length === 1, 20_000);
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer { status: number; body: Json; headers: Headers }

/** go-marathon's request (go-marathon client.go): JSON both ways, Go's transport headers, the DC/OS token. */
function goMarathon(method: string, path: string, body?: unknown): Promise<Answer> {
  return send(
    method,
    `/service/marathon/${path}`,
    { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip', 'Content-Type': 'application/json', Accept: 'application/json' },
    body,
  );
}

/** The plugin's plain HTTP client (pluginutil.HTTPClient): the token and Go's transport headers only. */
function pluginGet(path: string): Promise<Answer> {
  return send('GET', path, { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip' });
}

/** The bundled Python CLI (dcos/http.py over requests): JSON bodies with requests' own headers. */
function python(method: string, path: string, body?: unknown): Promise<Answer> {
  return send(
    method,
    `/service/marathon/${path}`,
    {
      'User-Agent': 'python-requests/2.25.1',
      'Accept-Encoding': 'gzip, deflate',
      Accept: 'application/json',
      Connection: 'keep-alive',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body,
  );
}

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: { ...headers, Authorization: `token=${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

const aRecords = async (name: string): Promise<string[]> =>
  (await dig(dnsPort, `${name}.marathon.mesos`, 'A')).answer.filter((r) => r.type === 'A').map((r) => r.data);
const srv = async (name: string): Promise<string[]> =>
  (await dig(dnsPort, `_${name}._tcp.marathon.mesos`, 'SRV')).answer.filter((r) => r.type === 'SRV').map((r) => r.data);
const deploymentGone = (id: string): Promise<Json[]> =>
  until(
    async () => (await python('GET', 'v2/deployments')).body,
    (list: Json[]) => !list.some((d) => d.id === id),
    20_000,
  );

const WEB = { id: '/web', cmd: 'sleep 600', instances: 1, cpus: 0.1, mem: 32, portDefinitions: [{ port: 0, name: 'http' }], labels: { team: 'edge' } };

/** `/web` created as `dcos marathon app add` does, once it resolves: for the cases that act on it. */
async function addWeb(): Promise<void> {
  const created = await goMarathon('POST', 'v2/apps/', WEB);
  expect(created.status).toBe(201);
  await deploymentGone(created.body.deployments[0].id);
  await until(() => srv('web'), (records) => records.length === 1, 20_000);
}

/**
 * What every case starts from, restored after each (each runs alone and in any order): /hello alone,
 * as its file says, with one task in DNS; no other app, no deployment under way.
 */
async function baseline(): Promise<void> {
  const others = ((await goMarathon('GET', 'v2/apps')).body.apps as Json[]).map((a) => a.id as string).filter((id) => id !== '/hello');
  for (const id of others) {
    const removed = await goMarathon('DELETE', `v2/apps${id}`);
    if (removed.body?.deploymentId) await deploymentGone(removed.body.deploymentId);
    await until(() => srv(id.slice(1)), (records) => records.length === 0, 20_000);
  }
  if ((await readFile(join(dir, 'apps.d', 'hello.yaml'), 'utf8')) !== HELLO) {
    await writeFile(join(dir, 'apps.d', 'hello.yaml'), HELLO);
    await until(() => goMarathon('GET', 'v2/apps/hello'), (a) => a.body.app.instances === 1 && a.body.app.tasksRunning === 1, 20_000);
  }
  await until(async () => (await python('GET', 'v2/deployments')).body, (list: Json[]) => list.length === 0, 20_000);
  await until(() => srv('hello'), (records) => records.length === 1, 20_000);
}
afterEach(baseline, 60_000);

describe('dcos marathon … through the gateway, replayed request by request', () => {
  it('dcos marathon app list: GET v2/apps, v2/deployments, v2/queue (app_list.go, client.go)', async () => {
    const apps = await pluginGet('/service/marathon/v2/apps');
    expect(apps.status).toBe(200);
    expect(apps.body.apps).toEqual([expect.objectContaining({ id: '/hello', mem: 32, cpus: 0.1, instances: 1, tasksRunning: 1, deployments: [] })]);
    const deployments = await pluginGet('/service/marathon/v2/deployments');
    expect(deployments.status).toBe(200);
    expect(deployments.body).toEqual([]);
    const queue = await pluginGet('/service/marathon/v2/queue');
    expect(queue.status).toBe(200);
    expect(queue.body).toEqual({ queue: [] });
  });

  it('dcos marathon app version list /hello: GET v2/apps/hello/versions (app_version_list.go)', async () => {
    const versions = await goMarathon('GET', 'v2/apps/hello/versions');
    expect(versions.status).toBe(200);
    // Newest first: the app's own version leads (the restart and the file edit below add versions).
    expect(versions.body.versions[0]).toBe((await goMarathon('GET', 'v2/apps/hello')).body.app.version);
    for (const version of versions.body.versions) expect(version).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('dcos marathon app add FILE: GET v2/apps/<id> is 404, POST v2/apps/ creates it, the app file appears and DNS resolves it (client.go AddApp)', async () => {
    const missing = await goMarathon('GET', 'v2/apps/web');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: "App '/web' does not exist" });
    const created = await goMarathon('POST', 'v2/apps/', WEB);
    expect(created.status).toBe(201);
    expect(created.body.deployments[0].id).toEqual(expect.any(String));
    expect((await readdir(join(dir, 'apps.d'))).sort()).toEqual(['hello.yaml', 'web.yaml']);
    expect(await until(() => aRecords('web'), (a) => a.length === 1, 20_000)).toEqual(['127.0.0.1']);
    expect(await srv('web')).toHaveLength(1);
  });

  it('dcos marathon deployment list: GET v2/deployments lists a running deployment as the Python table reads it (main.py, marathon.py)', async () => {
    // An app that cannot fit stays deploying: the CLI's list is an error when it is empty.
    const stuck = await goMarathon('POST', 'v2/apps/', { id: '/stuck', cmd: 'sleep 600', cpus: 64, mem: 32 });
    const list = await python('GET', 'v2/deployments');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        id: stuck.body.deployments[0].id,
        version: expect.any(String),
        affectedApps: ['/stuck'],
        affectedPods: [],
        steps: [{ actions: [{ action: 'StartApplication', app: '/stuck' }] }],
        currentActions: [{ action: 'StartApplication', app: '/stuck', readinessCheckResults: [] }],
        currentStep: 1,
        totalSteps: 1,
      },
    ]);
    // `dcos marathon app remove /stuck` without --force: Marathon does not hold a removal up.
    expect((await goMarathon('DELETE', 'v2/apps/stuck')).status).toBe(200);
    await deploymentGone(stuck.body.deployments[0].id);
  });

  it('dcos marathon app update /web instances=2: GET, then PUT {"instances": 2}; two SRV records (main.py update)', async () => {
    await addWeb();
    expect((await python('GET', 'v2/apps/web')).status).toBe(200);
    const updated = await python('PUT', 'v2/apps/web', { instances: 2 });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    expect(updated.headers.get('marathon-deployment-id')).toBe(updated.body.deploymentId);
    expect(await until(() => srv('web'), (records) => records.length === 2, 20_000)).toHaveLength(2);
    await deploymentGone(updated.body.deploymentId);
  });

  it('dcos marathon app restart /hello: GET (instances > 0), POST v2/apps/hello/restart {}; new tasks in DNS (app_restart.go)', async () => {
    const before = (await goMarathon('GET', 'v2/apps/hello')).body.app;
    expect(before.instances).toBeGreaterThan(0);
    const versionsBefore = (await goMarathon('GET', 'v2/apps/hello/versions')).body.versions.length;
    const restarted = await goMarathon('POST', 'v2/apps/hello/restart', {});
    expect(restarted.status).toBe(200);
    expect(restarted.body.deploymentId).toEqual(expect.any(String));
    await deploymentGone(restarted.body.deploymentId);
    const after = (await goMarathon('GET', 'v2/apps/hello')).body.app;
    expect(after.tasks.map((t: Json) => t.id)).not.toContain(before.tasks[0].id);
    expect(await until(() => srv('hello'), (records) => records.length === 1 && records[0]!.includes(String(after.tasks[0].ports[0])), 10_000)).toHaveLength(1);
    // The restart is a new version of the app (Marathon keeps each).
    expect((await goMarathon('GET', 'v2/apps/hello/versions')).body.versions).toHaveLength(versionsBefore + 1);
  });

  it('dcos quota list: GET /service/marathon/v2/groups (quota_list.go)', async () => {
    await addWeb();
    const groups = await pluginGet('/service/marathon/v2/groups');
    expect(groups.status).toBe(200);
    expect(groups.body).toMatchObject({ id: '/', groups: [], apps: [{ id: '/hello' }, { id: '/web' }] });
  });

  it('dcos marathon app remove /web: DELETE v2/apps/web; its file and its name leave (app_remove.go)', async () => {
    await addWeb();
    const removed = await goMarathon('DELETE', 'v2/apps/web');
    expect(removed.status).toBe(200);
    expect(removed.body.deploymentId).toEqual(expect.any(String));
    expect(await readdir(join(dir, 'apps.d'))).toEqual(['hello.yaml']);
    expect(await until(() => aRecords('web'), (a) => a.length === 0, 20_000)).toEqual([]);
    expect((await dig(dnsPort, 'web.marathon.mesos', 'A')).status).toBe('NXDOMAIN');
    expect((await goMarathon('DELETE', 'v2/apps/web')).body).toEqual({ message: "App '/web' does not exist" });
  });

  it('an operator\'s edit of an app file shows in the API (a new version) and in DNS', async () => {
    const before = (await goMarathon('GET', 'v2/apps/hello')).body.app.version;
    await writeFile(join(dir, 'apps.d', 'hello.yaml'), HELLO.replace('instances: 1', 'instances: 2'));
    const app = (await until(() => goMarathon('GET', 'v2/apps/hello'), (a) => a.body.app.instances === 2, 10_000)).body.app;
    expect(app.version > before).toBe(true);
    expect((await goMarathon('GET', 'v2/apps/hello/versions')).body.versions[0]).toBe(app.version);
    expect(await until(() => srv('hello'), (records) => records.length === 2, 20_000)).toHaveLength(2);
  });

  it('bad input through the CLI\'s path: a definition with a wrong type is 422 with its path, and no file is written', async () => {
    const bad = await goMarathon('POST', 'v2/apps/', { id: '/typo', cmd: 'sleep 1', instances: '3' });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ message: 'Object is not valid', details: [{ path: '/instances', errors: [expect.stringMatching(/integer/)] }] });
    expect(await readdir(join(dir, 'apps.d'))).toEqual(['hello.yaml']);
  });
});
