// The gateway end to end: the real binary with DNS, gateway and authn on, a state file whose tasks
// are local HTTP servers, real requests (fetch, and curl for one), real tokens from the real CLI.
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { RawClient, exchange } from '../support/raw-http.js';
import { tokenFor } from '../support/token.js';
import { refusedPorts } from '../support/refused-port.js';
import { writeSigningKey } from '../support/premade-authn.js';

interface Seen { path: string; headers: IncomingHttpHeaders; server: number }

// The whole suite runs under both HTTP engines (gateway.engine): the same requests must get the same answers.
// The two engines run side by side (each its own upstreams, records and binary); the groups and cases
// of one engine run in order (they share its upstreams' record of what they saw).
describe.concurrent.each(['lean', 'node'] as const)('gateway.engine: %s', (engine) => {
  const seen: Seen[] = [];
  const upstreams: Server[] = [];

  async function upstream(index: number): Promise<number> {
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers, server: index });
      if (req.url === '/redirect') return void res.writeHead(307, { location: '/after' }).end();
      if (req.url === '/hang') return; // never answers
      if (req.url === '/response-headers')
        return void res
          .writeHead(200, [
            'Set-Cookie',
            'a=1',
            'Set-Cookie',
            'b=2',
            'Connection',
            'keep-alive, X-Up-Hop',
            'X-Up-Hop',
            'secret',
            'X-Up-Kept',
            'yes',
            'Content-Length',
            '2',
          ])
          .end('ok');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: index, path: req.url }));
    });
    upstreams.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  function state(ports: number[], deadPort: number, deadPort2: number) {
    const task = (id: string, port: number, labels: { key: string; value: string }[], name = 'hello') => ({
      id, name, framework_id: 'fw', slave_id: 'agent-S0', state: 'TASK_RUNNING', resources: { ports: `[${port}-${port}]` }, labels,
      statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }],
    });
    const svc = [{ key: 'DCOS_SERVICE_NAME', value: 'hello' }, { key: 'DCOS_SERVICE_PORT_INDEX', value: '0' }, { key: 'DCOS_SERVICE_SCHEME', value: 'http' }];
    return {
      leader: `master@127.0.0.1:${ports[0]}`,
      slaves: [{ id: 'agent-S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'localhost' }],
      frameworks: [{ id: 'fw', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks: [
        task('hello.1', ports[0]!, svc), task('hello.2', ports[1]!, svc),
        task('web_grp.1', ports[2]!, [], 'web.grp'),
        task('dead.1', deadPort, [{ key: 'DCOS_SERVICE_NAME', value: 'dead' }]),
        task('mixed.1', deadPort2, [{ key: 'DCOS_SERVICE_NAME', value: 'mixed' }], 'mixed'),
        task('mixed.2', ports[2]!, [{ key: 'DCOS_SERVICE_NAME', value: 'mixed' }], 'mixed'),
      ] }],
    };
  }

  let dir: string;
  let gatehouse: GatehouseProcess;
  let base: string;
  let token: string;
  let adminToken: string;
  let config: string;
  let filePorts: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-gw-'));
    const ports = [await upstream(0), await upstream(1), await upstream(2)];
    // Two refusing addresses, so that the retry test does not find its own already ejected.
    const [deadPort, deadPort2] = (await refusedPorts(2)) as [number, number];
    await writeFile(join(dir, 'state.json'), JSON.stringify(state(ports, deadPort, deadPort2)));
    filePorts = ports;
    await mkdir(join(dir, 'routes.d'));
    await writeFile(join(dir, 'routes.d', 'tools.yaml'), [
      'routes:',
      `  - { name: open, path: /open/, to: "http://127.0.0.1:${ports[0]}", auth: none }`,
      `  - { name: ops-only, path: /ops/, to: "http://127.0.0.1:${ports[1]}", allow: { groups: [ops] } }`,
      `  - { name: kept, path: /kept/, to: "http://127.0.0.1:${ports[2]}", stripPrefix: false }`,
      '  - { name: by-service, path: /hello-app/, service: hello }',
      `  - { name: slow, path: /slow/, to: "http://127.0.0.1:${ports[0]}", timeout: 300ms }`,
    ].join('\n'));
    // The key is made beforehand; the users file is not: the first-start admin logs in below.
    await writeSigningKey(join(dir, 'keys', 'signing-key.pem'));
    config = join(dir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns:', '  listen: 127.0.0.1:0', '  http: 127.0.0.1:0',
      'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  engine: ${engine}`,
      // One process: round robin order, passive health and the login limiter are per worker.
      '  workers: 1',
      'authn:', `  signingKey: ${JSON.stringify(join(dir, 'keys', 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    ].join('\n'));
    gatehouse = startGatehouseProcess(['run', '--config', config]);
    const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running');
    base = `http://127.0.0.1:${running['gatewayPort']}`;
    token = await tokenFor(config, 'tester');
    adminToken = await tokenFor(config, 'admin');
  });

  afterAll(async () => {
    expect(await gatehouse?.stop()).toBe(0);
    for (const s of upstreams) await new Promise((r) => s.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `token=${token}` });

  describe.sequential('public endpoints and the DC/OS CLI probes', () => {
    const table: { name: string; method: string; path: string; status: number; check?: (body: string, headers: Headers) => void }[] = [
      { name: 'HEAD / answers 200 without a token', method: 'HEAD', path: '/', status: 200 },
      { name: 'GET / is the login form', method: 'GET', path: '/', status: 200, check: (b) => expect(b).toContain('action="/login"') },
      {
        name: 'dcos-version.json',
        method: 'GET',
        path: '/dcos-metadata/dcos-version.json',
        status: 200,
        check: (b) => expect(Object.keys(JSON.parse(b))).toEqual(['version', 'dcos-variant', 'dcos-image-commit', 'bootstrap-id']),
      },
      {
        name: 'providers',
        method: 'GET',
        path: '/acs/api/v1/auth/providers',
        status: 200,
        check: (b) => expect(JSON.parse(b)['dcos-users']['client-method']).toBe('dcos-usercredential-post-receive-authtoken'),
      },
      {
        name: 'jwks',
        method: 'GET',
        path: '/acs/api/v1/auth/jwks',
        status: 200,
        check: (b) => expect(JSON.parse(b).keys[0].alg).toBe('RS256'),
      },
      { name: 'health', method: 'GET', path: '/health', status: 200 },
      {
        name: 'metrics',
        method: 'GET',
        path: '/metrics',
        status: 200,
        check: (b) => expect(b).toContain('gatehouse_gateway_requests_total'),
      },
      {
        name: 'HEAD pkgpanda buildinfo without a token: 401 acsjwt',
        method: 'HEAD',
        path: '/pkgpanda/active.buildinfo.full.json',
        status: 401,
        check: (_b, h) => expect(h.get('www-authenticate')).toBe('acsjwt'),
      },
    ];
    for (const c of table) {
      it(c.name, async () => {
        const response = await fetch(`${base}${c.path}`, { method: c.method });
        expect(response.status).toBe(c.status);
        c.check?.(await response.text(), response.headers);
      });
    }
  });

  describe.sequential('authentication comes before routing', () => {
    const table: { name: string; path: string; headers?: Record<string, string>; status: number }[] = [
      { name: 'known service, no token', path: '/service/hello/', status: 401 },
      { name: 'unknown service, no token: 401, not 404', path: '/service/nope/', status: 401 },
      { name: 'unknown path, no token', path: '/whatever', status: 401 },
      { name: 'traversal from a service into /mesos', path: '/service/a/../../mesos/', status: 401 },
      { name: 'encoded traversal', path: '/service/hello/%2e%2e/%2e%2e/mesos/', status: 401 },
      { name: 'encoded slash refused', path: '/service/hello%2f..%2fmesos/', status: 400 },
      { name: 'bad token', path: '/service/hello/', headers: { authorization: 'token=abc.def.ghi' }, status: 401 },
      {
        name: 'cookie plus an invalid Authorization header',
        path: '/service/hello/',
        headers: { authorization: 'Basic eDp5', cookie: `dcos-acs-auth-cookie=${'x'}` },
        status: 401,
      },
      { name: 'token in the query string is ignored', path: '/service/hello/?token=PLACEHOLDER', status: 401 },
    ];
    // Raw bytes, not fetch(): fetch resolves `..` and `%2e%2e` itself, and the gateway would only ever see `/mesos/`.
    for (const c of table) {
      it(c.name, async () => {
        const headers = Object.entries(c.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
        const { responses } = await exchange(
          Number(new URL(base).port),
          `GET ${c.path.replace('PLACEHOLDER', token)} HTTP/1.1\r\nHost: gw.example\r\n${headers}Connection: close\r\n\r\n`,
        );
        const response = responses[0]!;
        expect(response.status).toBe(c.status);
        if (c.status === 401) {
          expect(response.headers['www-authenticate']).toBe('acsjwt');
          expect(JSON.parse(response.body.toString())).toMatchObject({ title: 'Unauthorized', code: expect.stringMatching(/^ERR_AUTHN_/) });
        }
      });
    }

    // With a token, traversal is resolved before routing: the request lands where its normalised path
    // points, and the upstream never sees a `..`.
    const traversals: { name: string; path: string }[] = [
      { name: 'dot segments', path: '/service/nope/../hello/abc' },
      { name: 'encoded dot segments', path: '/service/nope/%2e%2e/hello/abc' },
      { name: 'mixed-case encoding', path: '/service/nope/%2E%2e/hello/./abc' },
      { name: 'doubled slashes and a dot', path: '/service//hello/./abc' },
    ];
    for (const t of traversals) {
      it(`with a token, ${t.name} resolve before routing (${t.path} -> hello, /abc)`, async () => {
        seen.length = 0;
        const { responses } = await exchange(
          Number(new URL(base).port),
          `GET ${t.path} HTTP/1.1\r\nHost: gw.example\r\nAuthorization: token=${token}\r\nConnection: close\r\n\r\n`,
        );
        expect(responses[0]!.status).toBe(200);
        expect(seen.at(-1)!.path).toBe('/abc');
      });
    }
    it('browsers get an HTML page pointing to /login', async () => {
      const response = await fetch(`${base}/service/hello/`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('action="/login"');
    });
    it('/service/<name> redirects to /service/<name>/ (301) before authentication', async () => {
      const response = await fetch(`${base}/service/hello?x=1`, { redirect: 'manual' });
      expect(response.status).toBe(301);
      expect(response.headers.get('location')).toBe('/service/hello/?x=1');
    });
  });

  describe.sequential('proxying with a token', () => {
    it('strips the prefix, keeps the query, sets X-Forwarded-*, forwards Authorization, drops DC/OS cookies', async () => {
      seen.length = 0;
      const response = await fetch(`${base}/service/hello/foo/a%20b?x=1`, {
        headers: { ...auth(), cookie: 'dcos-acs-auth-cookie=zzz; other=1', host: 'gw.example' },
      });
      expect(response.status).toBe(200);
      const request = seen.at(-1)!;
      expect(request.path).toBe('/foo/a%20b?x=1');
      expect(request.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(request.headers['x-real-ip']).toBe('127.0.0.1');
      expect(request.headers['x-forwarded-proto']).toBe('http');
      expect(request.headers['x-forwarded-prefix']).toBe('/service/hello');
      expect(request.headers['authorization']).toBe(`token=${token}`);
      expect(request.headers['cookie']).toBe('other=1');
    });
    it("a client's X-Forwarded-For is kept with the real peer appended; X-Real-IP and Forwarded are the peer's, not the claim", async () => {
      seen.length = 0;
      const response = await fetch(`${base}/service/hello/`, {
        headers: { ...auth(), 'x-forwarded-for': '203.0.113.7, 198.51.100.2', 'x-real-ip': '203.0.113.7', forwarded: 'for=203.0.113.7' },
      });
      expect(response.status).toBe(200);
      const request = seen.at(-1)!;
      expect(request.headers['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
      expect(request.headers['x-real-ip']).toBe('127.0.0.1');
      expect(request.headers['forwarded']).toMatch(/^for=(127\.0\.0\.1|"127\.0\.0\.1")/);
    });
    it('balances round robin over the running tasks', async () => {
      const servers = new Set<number>();
      for (let i = 0; i < 4; i++) servers.add(((await (await fetch(`${base}/service/hello/`, { headers: auth() })).json()) as { server: number }).server);
      expect([...servers].sort()).toEqual([0, 1]);
    });
    it('routes a Marathon group app by its id (/service/grp/web/)', async () => {
      const body = (await (await fetch(`${base}/service/grp/web/x`, { headers: auth() })).json()) as { server: number; path: string };
      expect(body).toEqual({ server: 2, path: '/x' });
    });
    it('rewrites a relative Location back under the service', async () => {
      const response = await fetch(`${base}/service/hello/redirect`, { headers: auth(), redirect: 'manual' });
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe('/service/hello/after');
    });
    it('/mesos/ goes to the leading master, prefix stripped', async () => {
      const body = (await (await fetch(`${base}/mesos/master/state`, { headers: auth() })).json()) as { path: string };
      expect(body.path).toBe('/master/state');
    });
    it('/mesos_dns/ reaches the DNS HTTP API', async () => {
      const body = await (await fetch(`${base}/mesos_dns/v1/version`, { headers: auth() })).json();
      expect(body).toMatchObject({ Service: 'Mesos-DNS' });
    });
    const errors: { name: string; path: string; status: number; code: string }[] = [
      { name: 'unknown service', path: '/service/nope/', status: 404, code: 'ERR_GATEWAY_SERVICE_UNKNOWN' },
      { name: 'unknown agent', path: '/agent/nope/x', status: 404, code: 'ERR_GATEWAY_AGENT_UNKNOWN' },
      { name: 'a task that refuses connections', path: '/service/dead/', status: 502, code: 'ERR_GATEWAY_UPSTREAM_FAILED' },
      { name: 'no route', path: '/nothing-here', status: 404, code: 'ERR_GATEWAY_NO_ROUTE' },
    ];
    for (const c of errors) {
      it(`${c.name}: ${c.status} JSON`, async () => {
        const response = await fetch(`${base}${c.path}`, { headers: auth() });
        expect(response.status).toBe(c.status);
        expect(await response.json()).toMatchObject({ code: c.code });
      });
    }
    it('a task that refuses connections is retried elsewhere for GETs and then skipped (passive health)', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${base}/service/mixed/`, { headers: auth() })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    });
    it('a POST is not retried on another task (it may have a body)', async () => {
      const statuses = new Set<number>();
      for (let i = 0; i < 4; i++) statuses.add((await fetch(`${base}/service/dead/`, { method: 'POST', headers: auth(), body: 'x' })).status);
      expect([...statuses]).toEqual([502]);
    });
    it('metadata carries a stable CLUSTER_ID', async () => {
      const first = (await (await fetch(`${base}/metadata`, { headers: auth() })).json()) as { CLUSTER_ID: string };
      expect(first.CLUSTER_ID).toMatch(/^[0-9a-f-]{36}$/);
    });
    it('headers named in Connection are hop-by-hop and not forwarded', async () => {
      seen.length = 0;
      await new Promise<void>((resolve, reject) =>
        execFile(
          'curl',
          [
            '-s',
            '-o',
            '/dev/null',
            '-H',
            `Authorization: token=${token}`,
            '-H',
            'Connection: keep-alive, X-Hop',
            '-H',
            'X-Hop: secret',
            '-H',
            'X-Kept: yes',
            `${base}/service/hello/hop`,
          ],
          (e) => (e ? reject(e) : resolve()),
        ),
      );
      const request = seen.at(-1)!;
      expect(request.headers['x-kept']).toBe('yes');
      expect(request.headers['x-hop']).toBeUndefined();
    });
    it('the answer keeps repeated headers and drops hop-by-hop ones, also those the upstream names in Connection', async () => {
      const response = await fetch(`${base}/service/hello/response-headers`, { headers: auth() });
      expect(await response.text()).toBe('ok');
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(response.headers.get('x-up-kept')).toBe('yes');
      expect(response.headers.get('x-up-hop')).toBeNull();
    });
    it('curl reaches a service with Authorization: token=', async () => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile('curl', ['-s', '-H', `Authorization: token=${token}`, `${base}/service/hello/curl`], (e, stdout) =>
          e ? reject(e) : resolve(stdout),
        ),
      );
      expect(JSON.parse(out).path).toBe('/curl');
    });
  });

  describe.sequential('login', () => {
    it('the admin created on first start logs in with the password printed once; the token works; logout clears the cookie', async () => {
      const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]; // printed after "gatehouse is running"
      expect(password).toBeTruthy();
      expect(JSON.stringify(gatehouse.logs)).not.toContain(password!);
      const response = await fetch(`${base}/acs/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'admin', password }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toMatch(/^dcos-acs-auth-cookie=.+; HttpOnly; SameSite=Lax/);
      const { token: adminToken } = (await response.json()) as { token: string };
      const page = await fetch(`${base}/`, { headers: { cookie: `dcos-acs-auth-cookie=${adminToken}` } });
      const html = await page.text();
      expect(html).toContain('href="/service/hello/"');
      expect(html).toContain('hello.marathon.mesos');
      expect(html).toContain('href="/open/"');
      const logout = await fetch(`${base}/acs/api/v1/auth/logout`, { method: 'POST', redirect: 'manual' });
      expect(logout.headers.get('set-cookie')).toContain('Max-Age=0');
    });
    it('the login form redirects only to same-origin next paths', async () => {
      const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!;
      for (const [next, want] of [
        ['/service/hello/', '/service/hello/'],
        ['//evil.example/', '/'],
        ['https://evil.example/', '/'],
        ['/\\evil.example', '/'],
      ] as const) {
        const response = await fetch(`${base}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ uid: 'admin', password, next }).toString(),
        });
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe(want);
      }
    });
    it('wrong password: 401 JSON', async () => {
      const response = await fetch(`${base}/acs/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ uid: 'admin', password: 'nope' }) });
      expect(response.status).toBe(401);
    });
  });

  describe.sequential('request smuggling shapes', () => {
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(base).port), '127.0.0.1');
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('close', () => resolve(data));
        socket.on('error', () => resolve(data));
        socket.end(request);
      });
    it('Content-Length together with Transfer-Encoding is refused', async () => {
      const answer = await raw(
        `POST /service/hello/ HTTP/1.1\r\nHost: x\r\nAuthorization: token=${token}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1.1 400/);
    });
    it('duplicate Content-Length is refused', async () => {
      const answer = await raw(`POST /service/hello/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`);
      expect(answer).toMatch(/^HTTP\/1.1 400/);
    });
  });

  describe.sequential('route files', () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
    it('auth: none needs no token; the prefix is stripped', async () => {
      const response = await get('/open/x');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ server: 0, path: '/x' });
    });
    it('allow refuses a caller outside the group with 403 and a reason', async () => {
      const response = await get('/ops/', auth());
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'ERR_GATEWAY_FORBIDDEN', description: expect.stringContaining('tester is not allowed') });
    });
    it('an anonymous caller on a protected file route gets 401, not 403', async () => {
      expect((await get('/ops/')).status).toBe(401);
    });
    it('an upstream that does not answer within the route timeout: 504 JSON', async () => {
      const response = await get('/slow/hang', auth());
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ code: 'ERR_GATEWAY_UPSTREAM_TIMEOUT' });
    });
    it('stripPrefix: false keeps the path; service: targets reach the tasks', async () => {
      expect(await (await get('/kept/a', auth())).json()).toEqual({ server: 2, path: '/kept/a' });
      expect([0, 1]).toContain(((await (await get('/hello-app/', auth())).json()) as { server: number }).server);
    });
    it('a changed file is picked up; a broken one keeps its last good routes and shows its errors', async () => {
      await writeFile(join(dir, 'routes.d', 'more.yaml'), `routes:\n  - { name: late, path: /late/, to: "http://127.0.0.1:${filePorts[1]}", auth: none }\n`);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await get('/late/')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      await writeFile(join(dir, 'routes.d', 'more.yaml'), 'routes:\n  - { name: late, path: /late }\n');
      let listed: { files: { file: string; status: string; errors: string[] }[] } = { files: [] };
      for (let i = 0; i < 50; i++) {
        // The route list is for authn.adminGroup (admins): the first-start admin is in it, tester is not.
        listed = (await (await get('/gatehouse/v1/routes', { authorization: `token=${adminToken}` })).json()) as typeof listed;
        // The file's final error, not only its status: a watcher that read it between the write's truncate and its
        // bytes (a starved machine) reports the empty file's error first, then the final one at the next event.
        const seen = listed.files.find((f) => f.file.endsWith('more.yaml'));
        if (seen?.status === 'quarantined' && /more\.yaml:2:\d+: routes\[0\]/.test(seen.errors.join())) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const more = listed.files.find((f) => f.file.endsWith('more.yaml'))!;
      expect(more.status).toBe('quarantined');
      expect(more.errors.join()).toMatch(/more\.yaml:2:\d+: routes\[0\]/);
      expect((await get('/late/')).status).toBe(200);
    });
  });

  describe.sequential('HTTP/1.1 on the wire', () => {
    const port = (): number => Number(new URL(base).port);
    const request = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: gw.test\r\n${extra}\r\n`;
    const authed = (): string => `Authorization: token=${token}\r\n`;

    it('a proxied request with a verified token is answered by the configured engine', async () => {
      await fetch(`${base}/service/hello/warm`, { headers: auth() }); // the token is verified recently now
      const client = await RawClient.open(port());
      client.write(request('/service/hello/engine', authed()));
      const [response] = await client.responsesUntil(1);
      client.destroy();
      expect(response!.status).toBe(200);
      // node:http announces its keep-alive timeout; the lean engine's hot path (a LeanResponse) does not.
      expect(response!.headers['keep-alive']).toBe(engine === 'node' ? 'timeout=5' : undefined);
    });

    it('pipelined requests to the proxy, a public endpoint, an anonymous caller and an open route are answered in order', async () => {
      seen.length = 0;
      const client = await RawClient.open(port());
      client.write(
        [
          request('/service/hello/one', authed()),
          request('/health'),
          request('/service/hello/two'),
          request('/open/three'),
          `HEAD /service/hello/four HTTP/1.1\r\nHost: gw.test\r\n${authed()}\r\n`,
          request('/service/grp/web/five', authed()),
        ].join(''),
      );
      const responses = await client.responsesUntil(6, (i) => i === 4);
      client.destroy();
      expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 200, 200, 200]);
      const body = (i: number) => JSON.parse(responses[i]!.body.toString()) as { path?: string; code?: string };
      expect([body(0).path, body(2).code, body(3).path, body(5).path]).toEqual(['/one', 'ERR_AUTHN_TOKEN_MISSING', '/three', '/five']);
      expect(responses[4]!.body.length).toBe(0);
      expect(seen.map((s) => s.path).sort()).toEqual(['/five', '/four', '/one', '/three']); // sent upstream at once, over two tasks
    });

    const closing: { name: string; bytes: () => string; connection: string }[] = [
      { name: 'HTTP/1.1 with Connection: close', bytes: () => request('/service/hello/bye', `${authed()}Connection: close\r\n`), connection: 'close' },
      { name: 'HTTP/1.0', bytes: () => `GET /service/hello/old HTTP/1.0\r\n${authed()}\r\n`, connection: 'close' },
      { name: 'HTTP/1.0 to an open route', bytes: () => 'GET /open/old HTTP/1.0\r\n\r\n', connection: 'close' },
    ];
    for (const c of closing) {
      it(`${c.name}: a complete answer, then the gateway closes the connection`, async () => {
        const { responses } = await exchange(port(), c.bytes());
        expect(responses).toHaveLength(1);
        expect(responses[0]!.status).toBe(200);
        expect(responses[0]!.headers['connection']).toBe(c.connection);
        expect(JSON.parse(responses[0]!.body.toString())).toMatchObject({ path: expect.stringMatching(/^\/(bye|old)$/) });
      });
    }

    it('HTTP/1.0 with Connection: keep-alive, an upstream answer with a length: the connection stays for the next request', async () => {
      const client = await RawClient.open(port());
      const again = `GET /service/hello/response-headers HTTP/1.0\r\nConnection: keep-alive\r\n${authed()}\r\n`;
      client.write(again);
      const [first] = await client.responsesUntil(1);
      client.write(again);
      const responses = await client.responsesUntil(2);
      client.destroy();
      expect(first!.headers['connection']).toBe('keep-alive');
      expect(responses.map((r) => r.body.toString())).toEqual(['ok', 'ok']);
    });

    it('HTTP/1.0 with Connection: keep-alive, an upstream answer without a length: close-delimited', async () => {
      const { responses } = await exchange(port(), `GET /service/hello/chunked-upstream HTTP/1.0\r\nConnection: keep-alive\r\n${authed()}\r\n`);
      expect(responses).toHaveLength(1);
      expect(responses[0]!.framing).toBe('close');
      expect(responses[0]!.headers['connection']).toBe('close');
      expect(JSON.parse(responses[0]!.body.toString())).toMatchObject({ path: '/chunked-upstream' });
    });

    // 40 KB: one read, more than a request buffers; the gateway answers before (401) or after (proxy) reading it.
    const bodies: { name: string; path: string; auth: boolean; status: number }[] = [
      { name: 'refused with 401 unread', path: '/service/hello/post', auth: false, status: 401 },
      { name: 'proxied to a service', path: '/service/hello/post', auth: true, status: 200 },
      { name: 'refused with 404 unread', path: '/nothing-here', auth: true, status: 404 },
    ];
    for (const c of bodies) {
      it(`a 40 KB POST ${c.name}: the keep-alive connection serves the next request`, async () => {
        const client = await RawClient.open(port());
        const body = Buffer.alloc(40_000, 'p');
        client.write(
          Buffer.concat([
            Buffer.from(`POST ${c.path} HTTP/1.1\r\nHost: gw.test\r\n${c.auth ? authed() : ''}Content-Length: ${body.length}\r\n\r\n`),
            body,
          ]),
        );
        expect((await client.responsesUntil(1))[0]!.status).toBe(c.status);
        client.write(request('/health'));
        const responses = await client.responsesUntil(2, undefined, 3000).finally(() => client.destroy());
        expect(responses[1]!.status).toBe(200);
      });
    }

    it('HTTP/1.1 without Host: 400', async () => {
      const { responses } = await exchange(port(), `GET /service/hello/ HTTP/1.1\r\n${authed()}\r\n`);
      expect(responses.map((r) => r.status)).toEqual([400]);
    });

    it('Expect: 100-continue on a login: 100 Continue first, then the answer to the body', async () => {
      const client = await RawClient.open(port());
      const body = JSON.stringify({ uid: 'admin', password: 'not-the-password' });
      client.write(
        `POST /acs/api/v1/auth/login HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
      );
      await client.until((c) => c.text.includes('\r\n\r\n'), 'the interim answer');
      expect(client.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
      client.write(body);
      const responses = await client.responsesUntil(2);
      client.destroy();
      expect(responses.map((r) => r.status)).toEqual([100, 401]);
    });

    it('Expect: 100-continue on a proxied upload (curl): the body reaches the upstream, Expect does not', async () => {
      const before = seen.length;
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          'curl',
          [
            '-s',
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            '-H',
            `Authorization: token=${token}`,
            '-H',
            'Expect: 100-continue',
            '--data-binary',
            'x'.repeat(2048),
            `http://127.0.0.1:${port()}/service/hello/upload`,
          ],
          (e, out) => (e ? reject(e) : resolve(out)),
        ),
      );
      expect(stdout).toBe('200');
      const upload = seen.slice(before).find((s) => s.path === '/upload');
      expect(upload?.headers['expect']).toBeUndefined();
      expect(upload?.headers['content-length']).toBe('2048');
    });

    it('a refused request closes the connection even when the client keeps its side open', async () => {
      const client = await RawClient.open(port(), { allowHalfOpen: true });
      client.write('NOT A REQUEST\r\n\r\n');
      await client.closedByServer();
      expect(client.responses()[0]!.status).toBe(400);
      // A half-open server side would take these bytes in silence; a closed one resets the connection.
      // (the first write is answered by a reset, the next one fails on it)
      for (let i = 0; i < 3 && !client.closed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!client.closed) client.socket.write('more\r\n', () => {});
      }
      await client.until((c) => c.closed, 'the connection reset by the closed server side');
      client.destroy();
    });
  });
});
