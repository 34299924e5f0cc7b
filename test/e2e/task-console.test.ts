// A task's console in a real browser (Debian chromium, driven by playwright-core) against the real
// binary running the embedded cluster: open a task from the dashboard, see a line the task prints
// after the page opened appear without a reload (the log followed by server-sent events), scale the
// app to 2 and see the second task appear, restart it and see its tasks replaced, errors shown; at a
// phone's width (390 px) and a laptop's (1280 px) nothing scrolls sideways. Set
// GATEHOUSE_SCREENSHOTS=<dir> to keep screenshots of the console.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, launchChromium, screenshot } from '../support/browser.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { quickPasswordHash, writeSigningKey } from '../support/premade-authn.js';
import { until } from '../support/until.js';

// Browser globals, for the callbacks that run in the page (the project compiles without the DOM library).
declare const document: any;

let dir: string;
let gatehouse: GatehouseProcess;
let base: string;
let cluster: string;
const PASSWORD = 'console-test-password';
let browser: Browser;
// The admin's session, logged in once through the login API (the form is browser.test.ts's): each
// test opens its console from it.
let session: Awaited<ReturnType<BrowserContext['storageState']>>;

// Two apps of the same task: the widths watch /echo while the scale case changes /scaled, so all
// three cases run at once (each mostly waits on the task, the page's refresh and the deployments).
const app = (id: string) => `
id: ${id}
instances: 1
cpus: 0.1
mem: 64
portDefinitions: [{ port: 0, name: http }]
cmd: >-
  exec node -e "console.log('started ' + process.env.MESOS_TASK_ID);
  require('http').createServer((q, s) => { console.log('request ' + q.url); s.end('ok'); }).listen(+process.env.PORT0, process.env.HOST)"
`;

interface MarathonTask { id: string; state: string; ports: number[] }
const appTasks = async (id = 'echo'): Promise<MarathonTask[]> =>
  ((await (await fetch(`${cluster}/v2/apps/${id}`)).json()) as { app: { tasks: MarathonTask[] } }).app.tasks.filter((t) => t.state === 'TASK_RUNNING');
const deployments = async (): Promise<unknown[]> => (await (await fetch(`${cluster}/v2/deployments`)).json()) as unknown[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-console-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'echo.yaml'), app('/echo'));
  await writeFile(join(dir, 'apps.d', 'scaled.yaml'), app('/scaled'));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
    '    http: 127.0.0.1:0', '    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "21120-21159" }',
    'dns:', '  listen: 127.0.0.1:0', '  http: ""',
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 1',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  // Not about the first start (browser.test.ts reads its printed password): a premade key and admin.
  await writeSigningKey(join(dir, 'key.pem'));
  await writeFile(
    join(dir, 'users.yaml'),
    `users:\n  - { uid: admin, password: "${quickPasswordHash(PASSWORD)}", groups: [admins] }\nserviceAccounts: []\n`,
    { mode: 0o600 },
  );
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  // Chromium starts while the binary does.
  const launched = launchChromium();
  base = `http://127.0.0.1:${(await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 60_000))['gatewayPort']}`;
  cluster = String((await gatehouse.waitForLog((l) => l.msg.startsWith('embedded cluster started')))['url']);
  // The cookie the login sets, as the browser keeps it.
  const login = await fetch(`${base}/acs/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uid: 'admin', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  expect(await login.json()).toHaveProperty('token');
  const cookie = /^dcos-acs-auth-cookie=([^;]+);/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  expect(cookie).toBeDefined();
  session = {
    cookies: [{ name: 'dcos-acs-auth-cookie', value: cookie!, domain: '127.0.0.1', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' }],
    origins: [],
  };
  browser = await launched;
  await until(async () => [...(await appTasks('echo')), ...(await appTasks('scaled'))], (tasks) => tasks.length === 2, 30_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gatehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

async function openConsole(width: number, taskId: string): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width, height: 844 }, storageState: session });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`script: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${base}/`);
  // From the dashboard: the task's id links to its console.
  await Promise.all([page.waitForURL(/\?task=/), page.locator(`a[href="/?task=${encodeURIComponent(taskId)}"]`).first().click()]);
  return { page, problems, close: () => context.close() };
}

const logText = (page: Page) => page.locator('#log').textContent().then((t) => t ?? '');
const runningRows = (page: Page) =>
  page.locator('#app-tasks tbody tr').evaluateAll((rows: any[]) =>
    rows.filter((r) => r.querySelector('td[data-label=state]')?.textContent === 'running').map((r) => r.querySelector('code').textContent as string),
  );

// The two widths watch the same task (each with its own marker line) at once, beside the scale case.
describe.concurrent('the task console', () => {
  it.each([390, 1280])('at %i px: a line the task prints after the page opened appears without a reload; nothing scrolls sideways', async (width) => {
    const [task] = await appTasks();
    const { page, problems, close } = await openConsole(width, task!.id);
    expect(await page.textContent('h1')).toContain(task!.id);
    await until(() => logText(page), (t) => t.includes(`started ${task!.id}`), 10_000);
    const marker = `/marker-${width}-${Date.now()}`;
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    expect(await (await fetch(`http://127.0.0.1:${task!.ports[0]}${marker}`)).text()).toBe('ok');
    await until(() => logText(page), (t) => t.includes(`request ${marker}`), 10_000);
    expect(navigations).toEqual([]);
    expect(await page.textContent('#task-state')).toBe('running');
    await until(() => page.textContent('#usage'), (t) => /^CPU [\d.]+ s · memory [\d.]+ MB of 64\.0 MB$/.test(t ?? ''), 10_000);
    await page.click('.tabs button[data-file=stderr]');
    expect(await page.getAttribute('.tabs button[data-file=stderr]', 'aria-pressed')).toBe('true');
    await screenshot(page, `console-${width}`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('scale to 2 makes a second task appear; restart replaces the tasks; a bad count and a refused call are shown', async () => {
    await until(deployments, (d) => d.length === 0, 20_000);
    const [task] = await appTasks('scaled');
    const { page, problems, close } = await openConsole(390, task!.id);
    expect(await page.inputValue('#instances')).toBe('1');

    await page.fill('#instances', '-3');
    await page.click('#scale');
    expect(await page.textContent('#console-status')).toContain('instances must be a whole number');
    expect(await page.getAttribute('#console-status', 'role')).toBe('alert');

    await page.fill('#instances', '1');
    await page.click('#scale-up');
    expect(await page.inputValue('#instances')).toBe('2');
    await page.click('#scale');
    await until(() => page.textContent('#console-status'), (t) => /Scale to 2: deployment /.test(t ?? ''), 10_000);
    const two = await until(() => runningRows(page), (rows) => rows.length === 2, 30_000);
    expect(two).toContain(task!.id);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);

    await until(deployments, (d) => d.length === 0, 20_000);
    await page.click('#restart');
    await until(() => page.textContent('#console-status'), (t) => /Restart: deployment /.test(t ?? ''), 10_000);
    const replaced = await until(() => runningRows(page), (rows) => rows.length === 2 && rows.every((id) => !two.includes(id)), 30_000);
    expect(replaced).toHaveLength(2);
    // This page's task was replaced: its log ended, and the page stops asking for it.
    await until(() => page.textContent('#log-state'), (t) => t === 'the log has ended (the task is not running)', 15_000);
    await screenshot(page, 'console-restarted-390');

    // Marathon refuses: the app is gone. Its answer is shown, not swallowed.
    expect((await fetch(`${cluster}/v2/apps/scaled`, { method: 'DELETE' })).status).toBe(200);
    await page.click('#restart');
    await until(() => page.textContent('#console-status'), (t) => /Restart failed: .*scaled/.test(t ?? ''), 10_000);
    expect(await page.getAttribute('#console-status', 'role')).toBe('alert');
    await screenshot(page, 'console-error-390');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(problems.filter((p) => !/404|Failed to load resource/.test(p))).toEqual([]);
    await close();
  }, 90_000);
});
