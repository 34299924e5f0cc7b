// A person's path in a real browser (Debian chromium, driven by playwright-core): log in with the
// admin password printed on first start, see the dashboard, follow a service link to the proxied
// task, log out, and be sent back to the login form.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
let dir: string;
let gatehouse: GatehouseProcess;
let base: string;
let upstream: Server;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-browser-'));
  upstream = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Hello from the task</h1><p>path ${req.url}</p>`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  await writeFile(join(dir, 'state.json'), JSON.stringify({
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'a-S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'localhost' }],
    frameworks: [{ id: 'fw', name: 'marathon', tasks: [{ id: 'hello.1', name: 'hello', slave_id: 'a-S0', state: 'TASK_RUNNING', resources: { ports: `[${port}-${port}]` }, labels: [{ key: 'DCOS_SERVICE_NAME', value: 'hello' }], statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }] }] }],
  }));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns:', '  listen: 127.0.0.1:0', '  http: ""',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  base = `http://127.0.0.1:${(await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gatehouse?.stop();
  await new Promise((r) => upstream?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('in a browser', () => {
  it('log in, see the dashboard, reach the service, log out', async () => {
    const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!;
    const page = await browser.newPage();
    await page.goto(`${base}/service/hello/`);
    expect(await page.textContent('h1')).toBe('Gatehouse'); // 401 page with the login form
    await page.goto(`${base}/`);
    await page.fill('input[name=uid]', 'admin');
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    expect(await page.textContent('body')).toContain('Logged in as admin');
    expect(await page.textContent('body')).toContain('hello.marathon.mesos');
    await Promise.all([page.waitForURL(`${base}/service/hello/`), page.click('a[href="/service/hello/"]')]);
    expect(await page.textContent('h1')).toBe('Hello from the task');
    await page.goto(`${base}/`);
    await Promise.all([page.waitForURL(`${base}/`), page.click('text=Log out')]);
    expect(await page.locator('input[name=password]').count()).toBe(1);
    const after = await page.goto(`${base}/service/hello/`);
    expect(after?.status()).toBe(401);
    await page.close();
  }, 60_000);

  it('a wrong password shows the form again with a reason, and next= stays on this origin', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/login?next=//evil.example/`);
    await page.fill('input[name=uid]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('login failed');
    expect(await page.getAttribute('input[name=next]', 'value')).toBe('/');
    await page.close();
  }, 30_000);
});
