// The access log as an operator reads it: the real binary's JSON log lines for real requests, under
// both HTTP engines. Every line names method, path (query secrets redacted), route, status, the body
// bytes actually sent and the duration; a login names the uid and never the password or token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess, type LogLine } from '../support/gatehouse-process.js';
import { quickPasswordHash, writeSigningKey } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';

const PASSWORD = 'correct-horse-battery';
const CHUNKED_BODY = 'x'.repeat(5000);

// The two engines side by side (each its own directory, upstream and binary; nothing here waits on a
// timer); the cases of one engine in order: the last ones read every line the earlier ones logged.
describe.concurrent.each(['lean', 'node'] as const)('access log, gateway.engine: %s', (engine) => {
  let dir: string;
  let upstream: Server;
  let gatehouse: GatehouseProcess;
  let base: string;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-access-'));
    // Answers without Content-Length (chunked), the shape whose size a header cannot tell.
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(CHUNKED_BODY.slice(0, 1000));
      setTimeout(() => res.end(CHUNKED_BODY.slice(1000)), 5);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
    await mkdir(join(dir, 'routes.d'));
    await writeFile(join(dir, 'routes.d', 'app.yaml'), `routes:\n  - { name: app, path: /app/, to: "http://127.0.0.1:${port}" }\n`);
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns:', '  enabled: false',
      'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  engine: ${engine}`, '  workers: 1',
      'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    ].join('\n'));
    // alice as `gatehouse user add` would write her (that command is tested in test/authn/users.test.ts).
    await writeFile(join(dir, 'users.yaml'), `users:\n  - { uid: alice, password: "${quickPasswordHash(PASSWORD)}", groups: [] }\n`, { mode: 0o600 });
    await writeSigningKey(join(dir, 'signing-key.pem'));
    gatehouse = startGatehouseProcess(['run', '--config', config]);
    const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 45_000);
    base = `http://127.0.0.1:${running['gatewayPort']}`;
    token = await tokenFor(config, 'tester');
  }, 60_000);

  afterAll(async () => {
    await gatehouse?.stop();
    await new Promise((r) => upstream?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends a request with a request id of our own choosing to find its line: the id the gateway answers with. */
  async function logged(path: string, init: RequestInit = {}): Promise<{ line: LogLine; response: Response; body: Buffer }> {
    const response = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
    const body = Buffer.from(await response.arrayBuffer());
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const line = await gatehouse.waitForLog((l) => l.msg === 'request' && l['requestId'] === requestId, 5000);
    return { line, response, body };
  }

  const cases: {
    name: string;
    path: string;
    init?: () => RequestInit;
    route: string;
    status: number;
    loggedPath: string;
    uid?: string | null;
  }[] = [
    {
      name: 'the login page: its real byte count, no Content-Length needed',
      path: '/login',
      route: 'page',
      status: 200,
      loggedPath: '/login',
    },
    {
      name: 'a proxied chunked answer: bytes counted as they stream',
      path: '/app/data?embed=tasks',
      init: () => ({ headers: { authorization: `token=${token}` } }),
      route: 'file:app',
      status: 200,
      loggedPath: '/app/data?embed=tasks',
      uid: 'tester',
    },
    {
      name: 'a token in the query is redacted, other values kept',
      path: '/app/x?token=SECRET-QUERY-VALUE&page=2&access_key=K3Y',
      init: () => ({ headers: { authorization: `token=${token}` } }),
      route: 'file:app',
      status: 200,
      loggedPath: '/app/x?token=[redacted]&page=2&access_key=[redacted]',
      uid: 'tester',
    },
    {
      name: 'an anonymous request: 401, its JSON body counted',
      path: '/app/',
      route: 'unauthorized',
      status: 401,
      loggedPath: '/app/',
      uid: null,
    },
    {
      name: 'HEAD sends no body: 0 bytes',
      path: '/login',
      init: () => ({ method: 'HEAD' }),
      route: 'page',
      status: 200,
      loggedPath: '/login',
    },
    {
      name: 'a login names the uid that logged in',
      path: '/acs/api/v1/auth/login',
      init: () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'alice', password: PASSWORD }),
      }),
      route: 'login',
      status: 200,
      loggedPath: '/acs/api/v1/auth/login',
      uid: 'alice',
    },
    {
      name: 'a failed login names no uid',
      path: '/acs/api/v1/auth/login',
      init: () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'alice', password: 'wrong-password' }),
      }),
      route: 'login',
      status: 401,
      loggedPath: '/acs/api/v1/auth/login',
      uid: null,
    },
    {
      name: 'the login form names the uid that logged in',
      path: '/login',
      init: () => ({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `uid=alice&password=${PASSWORD}`,
      }),
      route: 'login',
      status: 303,
      loggedPath: '/login',
      uid: 'alice',
    },
  ];
  for (const c of cases) {
    it.sequential(c.name, async () => {
      const { line, response, body } = await logged(c.path, c.init?.());
      expect(response.status).toBe(c.status);
      expect(line).toMatchObject({ method: c.init?.().method ?? 'GET', path: c.loggedPath, route: c.route, status: c.status, bytes: body.length });
      expect(typeof line['durationMs']).toBe('number');
      expect(line['durationMs']).toBeGreaterThanOrEqual(0);
      if (c.uid !== undefined) expect(line['uid']).toBe(c.uid);
      if (c.route === 'page' && c.init?.().method !== 'HEAD') expect(body.length).toBeGreaterThan(500);
      if (c.route === 'file:app') expect(body.toString()).toBe(CHUNKED_BODY);
    });
  }

  it.sequential('no line carries a password, a token or a redacted query value', async () => {
    // The table's requests (again, when the table ran before): this case runs alone too. Passwords in
    // bodies, the token in a header and in the query.
    for (const c of cases) await logged(c.path, c.init?.());
    const text = JSON.stringify(gatehouse.logs);
    expect(gatehouse.logs.filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(cases.length);
    for (const secret of [PASSWORD, token, 'SECRET-QUERY-VALUE', 'K3Y']) expect(text).not.toContain(secret);
  });

  it.sequential('metric names follow Prometheus conventions: no doubled process prefix', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('gatehouse_gateway_requests_total');
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).not.toContain('_process_process_');
    const names = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => [m[1]!, m[2]!] as const).map(([n, t]) => `${n} ${t}`));
    for (const entry of names) {
      const [name, type] = entry.split(' ') as [string, string];
      expect(name, entry).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (type === 'counter') expect(name, entry).toMatch(/_total$/);
    }
  });
});
