// The README's quick start, as a new user meets it: the shipped config/ (embedded cluster, demo app,
// DNS, gateway, authn) run from a fresh directory. Within 30 s `dig` finds both hello tasks, logging
// in with the printed admin password gives a session cookie, and /service/hello/ answers.
// The shipped file as it is, except where it would collide with a running `npm start`: its listen
// addresses (8053, 8123, 8080, 5050) become port 0, read back from the log, and the task ports move
// from 31000-32000 to a range of this test's own.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { REPO_ROOT, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';

let dir: string;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let gateway: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-quick-start-'));
  // A fresh checkout's config only: no users file, no signing key, no sandboxes yet.
  await cp(join(REPO_ROOT, 'config'), join(dir, 'config'), { recursive: true, filter: (source) => !source.endsWith('users.yaml') });
  const file = join(dir, 'config', 'gatehouse.yaml');
  const shipped = await readFile(file, 'utf8');
  const moved = shipped.replace(/^(\s*(?:listen|http): )127\.0\.0\.1:\d+/gm, '$1127.0.0.1:0').replace('ports: "31000-32000"', 'ports: "22400-22430"');
  expect(moved.match(/127\.0\.0\.1:0/g)).toHaveLength(4); // dns.listen, dns.http, gateway.listen, cluster.local.http
  expect(moved).toContain('22400-22430');
  await writeFile(file, moved);
  gatehouse = startGatehouseProcess(['run'], { cwd: dir });
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  gateway = `http://127.0.0.1:${Number(running['gatewayPort'])}`;
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('dig finds the demo app\'s two tasks and their ports within 30 s', async () => {
  const srv = await until(() => dig(dnsPort, '_hello._tcp.marathon.mesos', 'SRV'), (r) => new Set(r.answer.map((a) => a.data)).size === 2, 30_000);
  expect(srv.status).toBe('NOERROR');
  const a = await dig(dnsPort, 'hello.marathon.mesos', 'A');
  expect([...new Set(a.answer.map((r) => r.data))]).toEqual(['127.0.0.1']);
}, 40_000);

it('log in with the printed admin password, then /service/hello/ answers from a task', async () => {
  const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]; // printed after "gatehouse is running"
  expect(password).toBeTruthy();
  const login = await fetch(`${gateway}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ uid: 'admin', password: password!, next: '/service/hello/' }),
  });
  expect(login.status).toBe(303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const dashboard = await (await fetch(`${gateway}/`, { headers: { cookie } })).text();
  expect(dashboard).toContain('/service/hello/');
  expect(dashboard).toContain('routes.d/example.yaml'); // the shipped route file, though it has no routes
  const answer = await until(() => fetch(`${gateway}/service/hello/`, { headers: { cookie } }), (r) => r.status === 200, 20_000);
  expect(await answer.text()).toMatch(
    /^hello from hello\.[0-9a-f-]+ on 127\.0\.0\.1:224[0-3]\d\npath \/\nforwarded for 127\.0\.0\.1, prefix \/service\/hello\n$/,
  );
}, 40_000);
