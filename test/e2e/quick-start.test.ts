// The README's quick start, as a new user meets it: the shipped config/ (embedded cluster, demo app,
// DNS, gateway, authn) run from a fresh directory. Within 30 s `dig` finds both hello tasks, logging
// in with the printed admin password gives a session cookie, and /service/hello/ answers.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { REPO_ROOT, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';

let dir: string;
let gatehouse: GatehouseProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-quick-start-'));
  // A fresh checkout's config only: no users file, no signing key, no sandboxes yet.
  await cp(join(REPO_ROOT, 'config'), join(dir, 'config'), { recursive: true, filter: (source) => !source.endsWith('users.yaml') });
  gatehouse = startGatehouseProcess(['run'], { cwd: dir });
  await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('dig finds the demo app\'s two tasks and their ports within 30 s', async () => {
  const srv = await until(() => dig(8053, '_hello._tcp.marathon.mesos', 'SRV'), (r) => new Set(r.answer.map((a) => a.data)).size === 2, 30_000);
  expect(srv.status).toBe('NOERROR');
  const a = await dig(8053, 'hello.marathon.mesos', 'A');
  expect([...new Set(a.answer.map((r) => r.data))]).toEqual(['127.0.0.1']);
}, 40_000);

it('log in with the printed admin password, then /service/hello/ answers from a task', async () => {
  const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]; // printed after "gatehouse is running"
  expect(password).toBeTruthy();
  const login = await fetch('http://127.0.0.1:8080/login', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ uid: 'admin', password: password!, next: '/service/hello/' }) });
  expect(login.status).toBe(303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const dashboard = await (await fetch('http://127.0.0.1:8080/', { headers: { cookie } })).text();
  expect(dashboard).toContain('/service/hello/');
  expect(dashboard).toContain('routes.d/example.yaml'); // the shipped route file, though it has no routes
  const answer = await until(() => fetch('http://127.0.0.1:8080/service/hello/', { headers: { cookie } }), (r) => r.status === 200, 20_000);
  expect(await answer.text()).toMatch(/^hello from hello\.[0-9a-f-]+ on 127\.0\.0\.1:3\d{4}\npath \/\nforwarded for 127\.0\.0\.1, prefix \/service\/hello\n$/);
}, 40_000);
