// A person's path in a real browser (Debian chromium, driven by playwright-core) against the real
// binary running the embedded cluster: log in with the admin password printed on first start, see
// the dashboard (route files, agents, tasks with their sandbox files), follow links to the task, its
// stdout and the index pages, watch the dashboard follow a change without a reload, log out. The
// pages are checked at a phone's width (390 px) and a laptop's (1280 px); set
// GATEHOUSE_SCREENSHOTS=<dir> to have them screenshotted there.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, launchChromium, screenshot } from '../support/browser.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';
import { writeSigningKey } from '../support/premade-authn.js';

// Browser globals, for the callbacks that run in the page (the project compiles without the DOM library).
declare const document: any, window: any, Image: any, getComputedStyle: any;

const WIDTHS = [390, 1280] as const;
let dir: string;
let gatehouse: GatehouseProcess;
let base: string;
let cluster: string;
let password: string;
let upstream: Server;
let browser: Browser;
// The admin's session, logged in once through the form: tests that are not about logging in open their
// pages in it (a browser context per test cost Chromium two more renderers each).
let session: BrowserContext;

const APP = (instances: number): string => `
id: /hello
instances: ${instances}
cpus: 0.1
mem: 64
portDefinitions: [{ port: 0, name: http }]
labels: { DCOS_SERVICE_NAME: hello }
healthChecks: [{ protocol: HTTP, path: /health, portIndex: 0, gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 }]
cmd: >-
  exec node -e "console.log('stdout of ' + process.env.MESOS_TASK_ID);
  require('http').createServer((q, s) => { if (q.url === '/health') return s.end('ok'); s.setHeader('content-type', 'text/html');
  s.end('<h1>Hello from the task</h1><p>path ' + q.url + '</p>'); }).listen(+process.env.PORT0, process.env.HOST)"
`;

interface MarathonTask { id: string; state: string; healthCheckResults?: { alive: boolean }[] }
const healthyTasks = async (): Promise<MarathonTask[]> =>
  ((await (await fetch(`${cluster}/v2/apps/hello`)).json()) as { app: { tasks: MarathonTask[] } }).app.tasks.filter(
    (t) => t.state === 'TASK_RUNNING' && t.healthCheckResults?.[0]?.alive,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-browser-'));
  upstream = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`extra ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP(1));
  await mkdir(join(dir, 'routes.d'));
  // Like the shipped example: a file with no routes is still a loaded route file.
  await writeFile(join(dir, 'routes.d', 'example.yaml'), 'routes: []\n');
  await writeFile(
    join(dir, 'routes.d', 'extra.yaml'),
    `routes:\n  - { name: extra, path: /extra/, to: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}" }\n`,
  );
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
    '    http: 127.0.0.1:0', '    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "20500-20549" }',
    'dns:', '  listen: 127.0.0.1:0', '  http: ""',
    // Two workers, as `workers: auto` gives on two cores: each worker's dashboard must know the route files.
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 2', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  // The run's test key instead of a new one (up to 0.5 s of CPU); the users file is the first start's, with its admin.
  await writeSigningKey(join(dir, 'key.pem'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  // Chromium starts while the binary does.
  const launched = launchChromium();
  base = `http://127.0.0.1:${(await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000))['gatewayPort']}`;
  cluster = String((await gatehouse.waitForLog((l) => l.msg.startsWith('embedded cluster started')))['url']);
  password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!;
  browser = await launched;
  const logInOnce = async () => {
    const { context, page } = await openPage(1280);
    await logIn(page);
    await page.close();
    session = context;
  };
  await Promise.all([logInOnce(), until(healthyTasks, (tasks) => tasks.length === 1, 30_000)]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gatehouse?.stop();
  await new Promise((r) => upstream?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/**
 * A page at this width that records every 404 and console error it meets; `loggedIn`: a page of the admin's
 * session, else a context of its own (no cookies). `close` closes what was opened for it.
 */
async function openPage(width: number, loggedIn = false): Promise<{ context: BrowserContext; page: Page; problems: string[]; close(): Promise<void> }> {
  const context = loggedIn ? session : await browser.newContext({ viewport: { width, height: 844 } });
  const page = await context.newPage();
  if (loggedIn) await page.setViewportSize({ width, height: 844 });
  const problems: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) problems.push(`404 ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`script: ${e.message}`));
  return { context, page, problems, close: () => (loggedIn ? page.close() : context.close()) };
}

async function logIn(page: Page): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('input[name=uid]', 'admin');
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
}


/** The dashboard, with the admin's session (what a login through the form leads to). */
async function openDashboard(page: Page): Promise<void> {
  await page.goto(`${base}/`);
  expect(page.url()).toBe(`${base}/`);
}

// The pages only read: they run at once. The dashboard's count of running tasks is among what they
// check, so the test that scales the app comes after them (the next describe).
describe.concurrent('in a browser', () => {
  it.each(WIDTHS)('at %i px the login form is aligned, fits, has an icon, and keeps the user name after a failed login', async (width) => {
    const { context, page, problems, close } = await openPage(width);
    // Playwright does not report favicon requests; Chromium's own network events do.
    const icons: { status: number; type: string }[] = [];
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', ({ response }) => {
      if (response.url === `${base}/favicon.ico`) icons.push({ status: response.status, type: response.mimeType });
    });
    await page.goto(`${base}/login`);
    const decoded = await page.evaluate(async () => {
      const image = new Image();
      image.src = document.querySelector('link[rel=icon]').href;
      await image.decode();
      return { src: image.src, width: image.naturalWidth, height: image.naturalHeight };
    });
    expect(decoded).toEqual({ src: `${base}/favicon.ico`, width: 32, height: 32 });
    expect(icons.length).toBeGreaterThan(0);
    expect(icons).toEqual(icons.map(() => ({ status: 200, type: 'image/x-icon' })));
    await screenshot(page, `login-${width}`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    // Labels above their fields, fields and button in one column of one width, inside the window.
    const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
    const [uid, pass, button, userLabel] = [
      await box('input[name=uid]'),
      await box('input[name=password]'),
      await box('button[type=submit]'),
      await box('label[for=uid]'),
    ];
    expect(pass.x).toBe(uid.x);
    expect(button.x).toBe(uid.x);
    expect(pass.width).toBe(uid.width);
    expect(button.width).toBe(uid.width);
    expect(userLabel.x).toBe(uid.x);
    expect(userLabel.y + userLabel.height).toBeLessThanOrEqual(uid.y);
    expect(uid.x + uid.width).toBeLessThanOrEqual(width);
    expect(uid.height).toBeGreaterThanOrEqual(36); // a finger-sized field
    expect(await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('input[name=uid]')).fontSize))).toBeGreaterThanOrEqual(16);

    await page.fill('input[name=uid]', `someone-${width}`);
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('login failed');
    expect(await page.inputValue('input[name=uid]')).toBe(`someone-${width}`);
    expect(await page.inputValue('input[name=password]')).toBe('');
    // autofocus takes effect at the browser's next rendering update, not when the page has loaded: on a
    // loaded machine the check ran before it (the body had the focus). Waited for, then asserted.
    const focused = () => document.activeElement?.getAttribute('name');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'password', undefined, { timeout: 5000 }).catch(() => undefined);
    expect(await page.evaluate(focused)).toBe('password');
    await screenshot(page, `login-failed-${width}`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await close();
  }, 60_000);

  it.each(WIDTHS)('at %i px the dashboard lists route files, agents and tasks with sandbox links, and fits', async (width) => {
    const { page, problems, close } = await openPage(width, true);
    await openDashboard(page);
    await screenshot(page, `dashboard-${width}`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const body = (await page.textContent('body'))!;
    expect(body).toContain('Logged in as admin');
    expect(body).toContain('hello.marathon.mesos');
    // Route files: the one without routes too (the shipped example is such a file).
    expect(body).toContain(join(dir, 'routes.d', 'example.yaml'));
    expect(body).toContain('no routes');
    expect(body).toContain(join(dir, 'routes.d', 'extra.yaml'));
    expect(await page.locator('a[href="/extra/"]').count()).toBe(1);
    // Agents: id, resources, task count.
    const agentId = ((await (await fetch(`${cluster}/master/slaves`)).json()) as { slaves: { id: string }[] }).slaves[0]!.id;
    expect(await page.locator(`a[href="/agent/${agentId}/state"]`).count()).toBeGreaterThan(0);
    expect(body).toMatch(/cpus 2 · mem 1024 MB · disk 1024 MB/);
    expect(body).toContain('1 running');
    // Tasks: state and health.
    const [task] = await healthyTasks();
    const row = page.locator('tr', { hasText: task!.id });
    expect(await row.locator('td[data-label=state]').textContent()).toBe('running');
    expect(await row.locator('td[data-label=health]').textContent()).toBe('healthy');
    for (const href of ['/mesos/', '/marathon/', '/agent/']) expect(await page.locator(`header a[href="${href}"]`).count()).toBe(1);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('a task\'s stdout link shows what the task printed; the download link gives the file', async () => {
    const { page, problems, close } = await openPage(1280, true);
    await openDashboard(page);
    const [task] = await healthyTasks();
    const row = page.locator('tr', { hasText: task!.id });
    await Promise.all([page.waitForURL(/\/files\/read\?/), row.locator('a', { hasText: 'stdout' }).first().click()]);
    expect(JSON.parse((await page.textContent('body'))!)).toMatchObject({ offset: 0, data: `stdout of ${task!.id}\n` });
    await page.goBack();
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a', { hasText: 'download' }).click()]);
    expect(download.suggestedFilename()).toBe('stdout');
    const saved = join(dir, 'downloaded-stdout');
    await download.saveAs(saved);
    expect(await import('node:fs/promises').then((fs) => fs.readFile(saved, 'utf8'))).toBe(`stdout of ${task!.id}\n`);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it.each([
    {
      name: '/agent/ lists the agents',
      path: '/agent/',
      title: 'Agents',
      link: (agent: string) => `/agent/${agent}/state`,
      json: (body: any, agent: string) => expect(body.agents[0].id).toBe(agent),
    },
    {
      name: "/mesos/ lists the embedded master's API",
      path: '/mesos/',
      title: 'Mesos (embedded master)',
      link: () => '/mesos/master/state',
      json: (body: any) => expect(body.endpoints.map((e: { path: string }) => e.path)).toContain('/mesos/master/state'),
    },
    {
      name: "/marathon/ lists the embedded scheduler's API",
      path: '/marathon/',
      title: 'Marathon (embedded scheduler)',
      link: () => '/marathon/v2/apps?embed=apps.tasks',
      json: (body: any) => expect(body.endpoints.map((e: { path: string }) => e.path)).toContain('/marathon/v2/tasks'),
    },
  ])(
    '$name, as HTML whose links work and as JSON',
    async ({ path, title, link, json }) => {
      const { page, problems, close } = await openPage(390, true);
      const agent = ((await (await fetch(`${cluster}/master/slaves`)).json()) as { slaves: { id: string }[] }).slaves[0]!.id;
      const answer = await page.goto(`${base}${path}`);
      expect(answer?.status()).toBe(200);
      expect(await page.textContent('h1')).toBe(title);
      await screenshot(page, `index${path.replaceAll('/', '-')}390`);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      const followed = await page.goto(`${base}${link(agent)}`);
      expect(followed?.status()).toBe(200);
      expect(followed?.headers()['content-type']).toMatch(/^application\/json/);
      const asJson = await page.request.get(`${base}${path}`, { headers: { accept: 'application/json' } });
      expect(asJson.status()).toBe(200);
      json(await asJson.json(), agent);
      expect(problems).toEqual([]);
      await close();
    },
    60_000,
  );

  it('log in, reach the service, log out, and be sent back to the login form', async () => {
    const { page, close } = await openPage(1280);
    // The 401 page with the login form (the dashboard has the same h1: the status and the form tell them apart).
    const denied = await page.goto(`${base}/service/hello/`);
    expect(denied?.status()).toBe(401);
    expect(await page.textContent('h1')).toBe('Gatehouse');
    expect(await page.locator('form input[name=password]').count()).toBe(1);
    await logIn(page);
    await Promise.all([page.waitForURL(`${base}/service/hello/`), page.click('a[href="/service/hello/"]')]);
    expect(await page.textContent('h1')).toBe('Hello from the task');
    await page.goto(`${base}/`);
    await Promise.all([page.waitForURL(`${base}/`), page.click('text=Log out')]);
    expect(await page.locator('input[name=password]').count()).toBe(1);
    const after = await page.goto(`${base}/service/hello/`);
    expect(after?.status()).toBe(401);
    await close();
  }, 60_000);

  it('a wrong password shows the form again with a reason, and next= stays on this origin', async () => {
    const { page, close } = await openPage(1280);
    await page.goto(`${base}/login?next=//evil.example/`);
    await page.fill('input[name=uid]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('login failed');
    expect(await page.getAttribute('input[name=next]', 'value')).toBe('/');
    await close();
  }, 30_000);
});

// After the pages above: it scales the app from 1 to 2 instances.
describe('in a browser, one after the read-only pages', () => {
  it('the dashboard follows the cluster without a reload', async () => {
    const { page, problems, close } = await openPage(390, true);
    await openDashboard(page);
    const runningRows = () => page.locator('td[data-label=state]', { hasText: 'running' }).count();
    expect(await runningRows()).toBe(1);
    await page.evaluate(() => (window.notReloaded = true));
    await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP(2));
    await page.waitForFunction(
      () =>
        document.querySelectorAll('td[data-label=state]').length === 2 &&
        [...document.querySelectorAll('td[data-label=state]')].every((td: any) => td.textContent === 'running'),
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await screenshot(page, 'dashboard-refreshed-390');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);
});
