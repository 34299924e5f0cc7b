// The pages' content without a browser: everything from the cluster and the route files is escaped,
// every route file is listed, the index pages, the icon, the task names handed in from cli/, and the
// rule that the gateway does not import DNS. (test/e2e/browser.test.ts looks at them in chromium.)
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot, type SourceKind } from '../../cluster/index.js';
import { taskNamer } from '../../cli/gateway-options.js';
import { builtinRoute, earlyRedirect, type RouteFileStatus } from '../../gateway/index.js';
import { dashboardPage, loginPage } from '../../gateway/pages.js';
import { sandboxUrl } from '../../gateway/pages/dashboard.js';
import { FAVICON_ICO } from '../../gateway/pages/favicon.js';
import { REPO_ROOT } from '../support/gatehouse-process.js';

const HOSTILE = '<script>alert("x")</script>';

async function snapshot(kind: SourceKind, task: Record<string, unknown> = {}, framework = 'marathon'): Promise<Snapshot> {
  const doc = {
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'agent-host', resources: { cpus: 2, mem: 1024, ports: '[31000-31999]' } }],
    frameworks: [{
      id: 'fw-1', name: framework, tasks: [{
        id: 'web.1', name: 'web', framework_id: 'fw-1', slave_id: 'S0', state: 'TASK_RUNNING', resources: { ports: '[31001-31001]' },
        labels: [{ key: 'DCOS_SERVICE_NAME', value: 'web' }], statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }], ...task,
      }],
    }],
  };
  return { ...(await parseMasterState(doc, { source: { kind, origin: 'pages test' }, fetchedAt: 0, resolveHost: async () => ['127.0.0.1'] })), generation: 7 };
}

const routeFile = (over: Partial<RouteFileStatus>): RouteFileStatus => ({ file: 'routes.d/a.yaml', status: 'ok', errors: [], routes: [], ...over });

describe('the dashboard', () => {
  it.each([
    { name: 'a task name', task: { name: HOSTILE } },
    { name: 'a task id', task: { id: HOSTILE } },
    { name: 'a service label', task: { labels: [{ key: 'DCOS_SERVICE_NAME', value: HOSTILE }] } },
    { name: 'a framework name', framework: HOSTILE },
    { name: 'a route file name and its errors', files: [routeFile({ file: HOSTILE, status: 'quarantined', errors: [HOSTILE] })] },
    { name: 'the user id', uid: HOSTILE },
    { name: 'a task name from the namer', namer: () => HOSTILE },
  ])('escapes $name', async ({ task, framework, files, uid, namer }) => {
    const page = dashboardPage({
      uid: uid ?? 'admin',
      snapshot: await snapshot('local', task, framework),
      snapshotState: 'fresh',
      taskName: namer ?? null,
      routeFiles: files ?? [],
    });
    expect(page).not.toContain(HOSTILE);
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it.each([
    {
      name: 'a file without routes (the shipped example)',
      files: [routeFile({})],
      shows: ['routes.d/a.yaml', 'no routes'],
      hides: ['no route files'],
    },
    {
      name: 'a file with a route',
      files: [
        routeFile({
          routes: [
            {
              name: 'grafana',
              path: '/grafana/',
              to: [new URL('http://127.0.0.1:3000')],
              service: null,
              stripPrefix: true,
              auth: 'required',
              allow: null,
              timeoutMs: 1000,
              file: 'routes.d/a.yaml',
            },
          ],
        }),
      ],
      shows: ['href="/grafana/"', 'grafana &rarr; http://127.0.0.1:3000/'],
      hides: ['no route files'],
    },
    {
      name: 'a quarantined file',
      files: [routeFile({ status: 'quarantined', errors: ['routes.d/a.yaml:2:3: routes.0.path: bad'] })],
      shows: ['last good routes', 'routes.0.path: bad'],
      hides: [],
    },
    { name: 'no files at all', files: [], shows: ['no route files'], hides: [] },
  ])('lists route files: $name', async ({ files, shows, hides }) => {
    const page = dashboardPage({
      uid: 'admin',
      snapshot: await snapshot('local'),
      snapshotState: 'fresh',
      taskName: null,
      routeFiles: files,
    });
    for (const text of shows) expect(page).toContain(text);
    for (const text of hides) expect(page).not.toContain(text);
  });

  it('shows each agent with resources and task count, each task with state, health and sandbox links', async () => {
    const page = dashboardPage({
      uid: 'admin',
      snapshot: await snapshot('mesos'),
      snapshotState: 'fresh',
      taskName: () => 'web.marathon.mesos',
      routeFiles: [],
    });
    expect(page).toContain('href="/agent/S0/state"');
    expect(page).toContain('cpus 2 · mem 1024 MB · ports [31000-31999]');
    expect(page).toContain('1 running');
    expect(page).toContain('<td data-label="state"><span class="ok">running</span></td>');
    expect(page).toContain('<td data-label="health"><span class="muted">unknown</span></td>');
    expect(page).toContain('web.marathon.mesos');
    expect(page).toContain(`href="${sandboxUrl({ id: 'web.1', frameworkId: 'fw-1', agentId: 'S0' }, 'stdout', 'read').replace('&', '&amp;')}"`);
    for (const href of ['/mesos/', '/marathon/', '/agent/']) expect(page).toContain(`href="${href}"`);
  });

  it('lists the VIPs with their address and backends, and the labels ignored, when the mesh is on', async () => {
    const { vipSnapshot } = await import('../support/vip-cluster.js');
    const data = await vipSnapshot([
      { id: '/hello', labels: { VIP_0: '/hello:8000' }, tasks: [{ port: 31001 }, { port: 31002 }] },
      { id: '/bad', labels: { VIP_0: 'nonsense' }, tasks: [{ port: 31003 }] },
    ]);
    const page = dashboardPage({
      uid: 'admin',
      snapshot: { ...data, generation: 1 },
      snapshotState: 'fresh',
      taskName: null,
      routeFiles: [],
      vipRange: '127.11.0.0/16',
    });
    expect(page).toContain('<h2>VIPs</h2>');
    expect(page).toMatch(/hello\.marathon\.l4lb\.thisdcos\.directory:8000[\s\S]*127\.11\.\d+\.\d+:8000[\s\S]*127\.0\.0\.1:31001 127\.0\.0\.1:31002/);
    expect(page).toContain('/bad VIP_0: &quot;nonsense&quot; is not a VIP');
    const off = dashboardPage({ uid: 'admin', snapshot: { ...data, generation: 1 }, snapshotState: 'fresh', taskName: null, routeFiles: [] });
    expect(off).not.toContain('<h2>VIPs</h2>');
  });

  it('links sandbox files by Mesos\'s virtual path of the executor\'s latest run', () => {
    expect(sandboxUrl({ id: 'web.1', frameworkId: 'fw-1', agentId: 'S0' }, 'stdout', 'read')).toBe(
      '/agent/S0/files/read?path=%2Fframeworks%2Ffw-1%2Fexecutors%2Fweb.1%2Fruns%2Flatest%2Fstdout&offset=0',
    );
    expect(sandboxUrl({ id: 'web.1', frameworkId: 'fw-1', agentId: 'S0' }, 'stderr', 'download')).toBe(
      '/agent/S0/files/download?path=%2Fframeworks%2Ffw-1%2Fexecutors%2Fweb.1%2Fruns%2Flatest%2Fstderr',
    );
  });
});

describe('the login form', () => {
  it.each([
    { name: 'no user name yet: empty, the user field focused', uid: undefined, value: 'value=""', focus: /name="uid"[^>]* autofocus/ },
    { name: 'after a failed login: the name kept, the password focused', uid: 'alice', value: 'value="alice"', focus: /name="password"[^>]* autofocus/ },
    { name: 'a hostile name is escaped', uid: '"><script>', value: 'value="&quot;&gt;&lt;script&gt;"', focus: /name="password"[^>]* autofocus/ },
  ])('$name', ({ uid, value, focus }) => {
    const page = loginPage('/', uid ? 'login failed' : undefined, uid);
    expect(page).toContain(value);
    expect(page).toMatch(focus);
    expect(page).not.toMatch(/name="password"[^>]*value=/);
    expect(page).toContain('<link rel="icon" href="/favicon.ico">');
  });
});

describe('index pages instead of a bare 404', () => {
  const inputs = (s: Snapshot) => ({ snapshot: s, usable: true, dnsHttp: null, marathon: null });
  it.each([
    {
      name: '/agent/ lists the agents',
      kind: 'local' as const,
      path: '/agent/',
      html: 'href="/agent/S0/state"',
      json: { agents: [{ id: 'S0', hostname: 'agent-host', state: '/agent/S0/state' }] },
    },
    {
      name: '/agent/ of a real cluster too',
      kind: 'mesos' as const,
      path: '/agent/',
      html: 'agent-host',
      json: { agents: [{ id: 'S0' }] },
    },
    {
      name: '/mesos/ of the embedded cluster lists its API',
      kind: 'local' as const,
      path: '/mesos/',
      html: 'href="/mesos/master/state"',
      json: { endpoints: expect.arrayContaining([expect.objectContaining({ path: '/mesos/master/state' })]) },
    },
    {
      name: '/marathon/ of the embedded cluster lists its API',
      kind: 'local' as const,
      path: '/marathon/',
      html: 'href="/marathon/v2/tasks"',
      json: { endpoints: expect.arrayContaining([expect.objectContaining({ path: '/marathon/v2/tasks' })]) },
    },
  ])('$name', async ({ kind, path, html, json }) => {
    const decision = builtinRoute(path, inputs(await snapshot(kind)));
    if (decision?.kind !== 'index') throw new Error(`not an index: ${JSON.stringify(decision)}`);
    expect(decision.html).toContain(html);
    expect(decision.json).toMatchObject(json);
  });

  it.each([
    { name: '/mesos/ of a real cluster is its UI', path: '/mesos/', route: 'mesos' },
    { name: '/marathon/ of a real cluster is its UI', path: '/marathon/', route: 'marathon' },
  ])('$name: still proxied', async ({ path, route }) => {
    const s = await snapshot('mesos');
    expect(builtinRoute(path, { ...inputs(s), marathon: new URL('http://127.0.0.1:8080') })).toMatchObject({ kind: 'proxy', route });
  });

  it('/agent redirects to /agent/', () => {
    expect(earlyRedirect('/agent')).toEqual({ kind: 'redirect', status: 301, location: '/agent/' });
  });
});

describe('the icon', () => {
  it('is an .ico file with one 32×32 PNG image', () => {
    expect([...FAVICON_ICO.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
    expect([FAVICON_ICO[6], FAVICON_ICO[7]]).toEqual([32, 32]);
    const offset = FAVICON_ICO.readUInt32LE(18);
    expect(FAVICON_ICO.readUInt32LE(14)).toBe(FAVICON_ICO.length - offset);
    expect(FAVICON_ICO.subarray(offset, offset + 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(FAVICON_ICO.readUInt32BE(offset + 16)).toBe(32); // IHDR width
  });
});

describe('task names handed in by cli/ (as DNS publishes them)', () => {
  it.each([
    { name: 'a running task', dns: {}, task: {}, framework: 'marathon', expected: 'web.marathon.mesos' },
    {
      name: 'a discovery name wins over the task name',
      dns: {},
      task: { discovery: { name: 'Front_End', visibility: 'FRAMEWORK' } },
      framework: 'marathon',
      expected: 'front-end.marathon.mesos',
    },
    { name: 'a dotted framework name', dns: {}, task: {}, framework: 'my.Framework', expected: 'web.my.framework.mesos' },
    {
      name: 'RFC 952 cuts labels to 24 characters',
      dns: { enforceRFC952: true },
      task: { name: 'a'.repeat(30) },
      framework: 'marathon',
      expected: `${'a'.repeat(24)}.marathon.mesos`,
    },
    {
      name: 'a task that is not running has none',
      dns: {},
      task: { state: 'TASK_STAGING', statuses: [{ state: 'TASK_STAGING', timestamp: 1 }] },
      framework: 'marathon',
      expected: null,
    },
    {
      name: 'an unhealthy task has none with healthyOnly',
      dns: { healthyOnly: true },
      task: { statuses: [{ state: 'TASK_RUNNING', timestamp: 1, healthy: false }] },
      framework: 'marathon',
      expected: null,
    },
    { name: 'a framework name without a usable character has none', dns: {}, task: {}, framework: '...', expected: null },
  ])('$name', async ({ dns, task, framework, expected }) => {
    const s = await snapshot('mesos', task, framework);
    const namer = taskNamer({ domain: 'mesos', enforceRFC952: false, healthyOnly: false, ...dns });
    expect(namer(s.frameworks[0]!.tasks[0]!, s.frameworks[0]!)).toBe(expected);
  });

  it('the gateway imports nothing from dns/ (the name is a fact handed in)', async () => {
    const gateway = join(REPO_ROOT, 'gateway');
    const files = (await readdir(gateway, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(join(gateway, file), 'utf8');
      if (/from\s+'(\.\.\/)+dns\//.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
