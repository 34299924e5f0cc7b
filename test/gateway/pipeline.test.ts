// The request pipeline's decisions on their own (gateway/pipeline.ts): what each request is answered
// with, by which door it came in (plain, fast, upgrade), with which token. Until this file only the
// built binary's end-to-end tests reached it, which no mutant of the source reaches (TESTING.md).
// Real parts: a token verifier with its own key and a second issuer's, a cluster store holding a
// snapshot, a route table fed whole (as a gateway worker's is), hand-signed EdDSA tokens.
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_ISSUER, TokenVerifier, staticKeyFromPem, type LoginContext, type UsersFile } from '../../authn/index.js';
import { ClusterStore, type SnapshotData } from '../../cluster/index.js';
import { RouteTable, type FileRoute, type GatewayOptions } from '../../gateway/index.js';
import { RequestPipeline, type RequestPath, type Verdict } from '../../gateway/pipeline.js';

const own = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const OWN_KID = 'own-key';
const T = Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function token(claims: Record<string, unknown>, by: 'own' | 'other' = 'own'): string {
  const header = by === 'own' ? { alg: 'EdDSA', kid: OWN_KID } : { alg: 'EdDSA' };
  const payload = { iss: by === 'own' ? OWN_ISSUER : 'other-issuer', exp: T + 3600, ...claims };
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), (by === 'own' ? own : other).privateKey).toString('base64url')}`;
}
const bearer = (t: string) => ({ authorization: `token=${t}` });

// The users file: alice is in `team` by the file, carol in no group.
const USERS: UsersFile = {
  users: [
    { uid: 'alice', password: 'x', groups: ['team'] },
    { uid: 'carol', password: 'x', groups: [] },
  ],
  serviceAccounts: [{ uid: 'robot', publicKey: 'x', groups: ['team'] }],
};

const route = (over: Partial<FileRoute> & Pick<FileRoute, 'name' | 'path'>): FileRoute => ({
  to: [new URL(`http://127.0.0.1:${9000 + over.name.length}`)],
  service: null,
  stripPrefix: true,
  auth: 'required',
  allow: null,
  timeoutMs: 30_000,
  file: 'routes.d/test.yaml',
  ...over,
});
const ROUTES: FileRoute[] = [
  route({ name: 'open', path: '/open/', auth: 'none' }),
  route({ name: 'team', path: '/team/', stripPrefix: false, allow: { groups: ['team'] } }),
  route({ name: 'team-deep', path: '/team/deep/' }),
  route({ name: 'svc', path: '/svc/', service: 'web' }),
  route({ name: 'gone', path: '/gone/', service: 'nothing' }),
];

const SNAPSHOT: SnapshotData = {
  fetchedAt: Date.now(),
  source: { kind: 'file', origin: 'test' },
  clusterName: null,
  leader: { address: { raw: 'master@10.0.0.9:5050', host: '10.0.0.9', port: 5050, ips: ['10.0.0.9'] } },
  masters: [],
  agents: [{ id: 'S0', hostname: 'agent', pid: null, ips: ['10.0.0.1'], active: true, resources: {}, attributes: {} }],
  frameworks: [
    {
      id: 'fw-m', name: 'marathon', pid: null, hostname: 'm', ips: [], active: true, webuiUrl: null,
      tasks: [{
        id: 'web.1', name: 'web', frameworkId: 'fw-m', agentId: 'S0', state: 'TASK_RUNNING', labels: [],
        resources: { cpus: 0, mem: 0, disk: 0, ports: [31001] }, discovery: null, vipLabels: [],
        ips: { netinfo: [], docker: [], mesos: [], host: ['10.0.0.1'] }, health: 'unknown', appId: '/web',
      }],
    },
  ],
  apps: [],
};

let verifier: TokenVerifier;
const routes = new RouteTable({ dir: '/nonexistent', logger: pino({ level: 'silent' }), registry: new Registry() });
routes.apply([{ file: 'routes.d/test.yaml', status: 'ok', errors: [], routes: ROUTES }], 1);

function pipeline(over: Partial<GatewayOptions> = {}, snapshot: SnapshotData | null = SNAPSHOT): RequestPipeline {
  const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }) });
  if (snapshot) store.publish(snapshot);
  // The pipeline reads only the users file of the login context (the rest serves POST /login).
  const login = { users: () => USERS } as Pick<LoginContext, 'users'> as LoginContext;
  return new RequestPipeline({
    listen: { host: '127.0.0.1', port: 0 },
    store,
    verifier,
    login,
    clusterId: 'c',
    dnsHttp: null,
    marathon: null,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    version: 'test',
    routes,
    ...over,
  });
}

beforeAll(async () => {
  const otherKey = await staticKeyFromPem(other.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'other.pem', { issuer: 'other-issuer' });
  verifier = new TokenVerifier({ own: { kid: OWN_KID, alg: 'EdDSA', key: own.publicKey, issuer: OWN_ISSUER }, staticKeys: [otherKey] });
});
afterAll(() => verifier.close());

/** A verdict in a few words, so a table can say what each request gets. */
function summary(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'bad-path':
      return `bad-path: ${verdict.error}`;
    case 'slow':
      return 'slow';
    case 'public':
      return `public ${verdict.path}${verdict.search}`;
    case 'redirect':
      return `redirect ${verdict.status} ${verdict.location}`;
    case 'unauthorized':
      return `unauthorized ${verdict.path} ${verdict.error.code}`;
    case 'own':
      return `own ${verdict.path}${verdict.search} as ${verdict.caller.uid}`;
    case 'no-route':
      return `no-route ${verdict.path} as ${verdict.caller?.uid ?? '-'}`;
    case 'route': {
      const d = verdict.decision;
      const what =
        d.kind === 'proxy' ? `proxy ${d.upstreams.map((u) => u.host).join(',')}${d.upstreamPath}`
        : d.kind === 'error' ? `error ${d.status} ${d.code}: ${d.description}`
        : d.kind;
      const file = verdict.fileRoute ? ` (file ${verdict.fileRoute.name})` : '';
      return `route ${verdict.label} ${verdict.path}${verdict.search} as ${verdict.caller?.uid ?? '-'}: ${what}${file}`;
    }
  }
}

const alice = () => bearer(token({ uid: 'alice' }));
const carol = () => bearer(token({ uid: 'carol' }));

interface Case {
  name: string;
  url: string | undefined;
  headers?: () => Record<string, string>;
  via?: RequestPath;
  afterPublic?: boolean;
  options?: Partial<GatewayOptions>;
  want: string;
}

const cases: Case[] = [
  // 1. the path
  { name: 'a path climbing above the root is refused', url: '/a/../../x', want: 'bad-path: the path climbs above the root' },
  { name: 'no target at all is /', url: undefined, want: 'public /' },
  // 2. public endpoints
  { name: 'a public endpoint, with its query', url: '/health?x=1', want: 'public /health?x=1' },
  { name: 'a public endpoint on the fast path goes to the plain one', url: '/health', via: 'fast', want: 'slow' },
  { name: 'a public endpoint that declined (POST /): authentication decides', url: '/', afterPublic: true, want: 'unauthorized / ERR_AUTHN_TOKEN_MISSING' },
  { name: 'a public path on the upgrade path is not public', url: '/login', via: 'upgrade', want: 'unauthorized /login ERR_AUTHN_TOKEN_MISSING' },
  // 3. early redirects
  { name: 'an early redirect keeps the query', url: '/mesos?x=1', want: 'redirect 301 /mesos/?x=1' },
  { name: 'an early redirect on the fast path goes to the plain one', url: '/mesos', via: 'fast', want: 'slow' },
  { name: 'no early redirect on the upgrade path', url: '/mesos', via: 'upgrade', want: 'unauthorized /mesos ERR_AUTHN_TOKEN_MISSING' },
  // 4. file routes and 5. authentication
  {
    name: 'an auth: none route needs no token (the prefix stripped)', url: '/open/a?q',
    want: 'route file:open /open/a?q as -: proxy 127.0.0.1:9004/a (file open)',
  },
  {
    name: 'an auth: none route on the fast path, no token', url: '/open/a', via: 'fast',
    want: 'route file:open /open/a as -: proxy 127.0.0.1:9004/a (file open)',
  },
  { name: 'an auth: none route without its trailing slash: upstream /', url: '/open', want: 'route file:open /open as -: proxy 127.0.0.1:9004/ (file open)' },
  { name: 'a route that needs a token, without one', url: '/team/a', want: 'unauthorized /team/a ERR_AUTHN_TOKEN_MISSING' },
  {
    name: 'a route that needs a token, with a forged one',
    url: '/team/a',
    headers: () => bearer(token({ uid: 'alice' }).slice(0, -4) + 'AAAA'),
    want: 'unauthorized /team/a ERR_AUTHN_SIGNATURE_INVALID',
  },
  { name: 'a token that cannot be read', url: '/team/a', headers: () => bearer('not-a-token'), want: 'unauthorized /team/a ERR_AUTHN_TOKEN_MALFORMED' },
  {
    name: 'allow by group: a member by the users file (prefix kept)', url: '/team/a', headers: alice,
    want: 'route file:team /team/a as alice: proxy 127.0.0.1:9004/team/a (file team)',
  },
  {
    name: 'allow by group: a service account by the users file', url: '/team/a', headers: () => bearer(token({ uid: 'robot' })),
    want: 'route file:team /team/a as robot: proxy 127.0.0.1:9004/team/a (file team)',
  },
  {
    name: 'allow by group: not a member',
    url: '/team/a',
    headers: carol,
    want: "route file:team /team/a as carol: error 403 ERR_GATEWAY_FORBIDDEN: carol is not allowed here (requires group team) (file team)",
  },
  {
    name: "allow by group: the own issuer's token claiming a group is a member (claims and users file together)",
    url: '/team/a',
    headers: () => bearer(token({ uid: 'carol', groups: ['team', 7] })),
    want: 'route file:team /team/a as carol: proxy 127.0.0.1:9004/team/a (file team)',
  },
  {
    name: "allow by group: another issuer's caller named like a user gets no groups from the users file",
    url: '/team/a',
    headers: () => bearer(token({ uid: 'alice' }, 'other')),
    want: "route file:team /team/a as alice: error 403 ERR_GATEWAY_FORBIDDEN: alice is not allowed here (requires group team) (file team)",
  },
  {
    name: "allow by group: another issuer's caller with the group in its claims",
    url: '/team/a',
    headers: () => bearer(token({ uid: 'bob', groups: ['team'] }, 'other')),
    want: 'route file:team /team/a as bob: proxy 127.0.0.1:9004/team/a (file team)',
  },
  {
    name: 'the longest prefix wins (no allow there)', url: '/team/deep/x', headers: carol,
    want: 'route file:team-deep /team/deep/x as carol: proxy 127.0.0.1:9009/x (file team-deep)',
  },
  {
    name: 'a path that is the route without its slash matches it', url: '/team', headers: alice,
    want: 'route file:team /team as alice: proxy 127.0.0.1:9004/team (file team)',
  },
  { name: 'a path that only starts like a route does not match it', url: '/teamwork', headers: alice, want: 'no-route /teamwork as alice' },
  {
    name: "a service route: the service's running task", url: '/svc/a', headers: alice,
    want: 'route file:svc /svc/a as alice: proxy 10.0.0.1:31001/a (file svc)',
  },
  {
    name: 'a service route without a running task',
    url: '/gone/a',
    headers: alice,
    want: 'route file:gone /gone/a as alice: error 503 ERR_GATEWAY_SERVICE_UNAVAILABLE: route gone: no running task of service nothing (file gone)',
  },
  // 6. the gateway's own endpoints
  { name: 'an authenticated own endpoint on the fast path goes to the plain one', url: '/metadata', via: 'fast', headers: alice, want: 'slow' },
  { name: 'an own endpoint with a token', url: '/metadata?x', headers: alice, want: 'own /metadata?x as alice' },
  { name: 'an own endpoint without a token', url: '/metadata', want: 'unauthorized /metadata ERR_AUTHN_TOKEN_MISSING' },
  {
    name: 'an own endpoint on the upgrade path is routed like any path', url: '/metadata', via: 'upgrade', headers: alice,
    want: 'no-route /metadata as alice',
  },
  {
    name: 'the status endpoint without a status to show is routed like any path', url: '/gatehouse/v1/status', headers: alice,
    want: 'no-route /gatehouse/v1/status as alice',
  },
  {
    name: 'the status endpoint with a status to show',
    url: '/gatehouse/v1/status',
    headers: alice,
    options: { status: async () => ({}) as never },
    want: 'own /gatehouse/v1/status as alice',
  },
  { name: 'the VIP list without a VIP range is routed like any path', url: '/net/v1/vips', headers: alice, want: 'no-route /net/v1/vips as alice' },
  { name: 'the VIP list with a VIP range', url: '/net/v1/vips', headers: alice, options: { vipRange: '11.0.0.0/8' }, want: 'own /net/v1/vips as alice' },
  { name: "dcos-net's node list", url: '/net/v1/nodes', headers: alice, want: 'own /net/v1/nodes as alice' },
  { name: 'the route list', url: '/gatehouse/v1/routes', headers: alice, want: 'own /gatehouse/v1/routes as alice' },
  { name: 'the build info', url: '/pkgpanda/active.buildinfo.full.json', headers: alice, want: 'own /pkgpanda/active.buildinfo.full.json as alice' },
  { name: 'the VIP list on the fast path goes to the plain one', url: '/net/v1/vips', via: 'fast', headers: alice, want: 'slow' },
  {
    name: "allow by group: the own issuer's caller the users file does not know has no groups",
    url: '/team/a',
    headers: () => bearer(token({ uid: 'dave' })),
    want: 'route file:team /team/a as dave: error 403 ERR_GATEWAY_FORBIDDEN: dave is not allowed here (requires group team) (file team)',
  },
  {
    name: 'no route table (the built-ins alone)',
    url: '/mesos/x',
    headers: alice,
    options: { routes: undefined },
    want: 'route mesos /mesos/x as alice: proxy 10.0.0.9:5050/x',
  },
  { name: 'a task log', url: '/system/v1/agent/S0/logs/v2/task/web.1', headers: alice, want: 'own /system/v1/agent/S0/logs/v2/task/web.1 as alice' },
  { name: 'a metrics path', url: '/system/v1/agent/S0/metrics/v0/node', headers: alice, want: 'own /system/v1/agent/S0/metrics/v0/node as alice' },
  // 7. built-in routes
  { name: 'a built-in route', url: '/mesos/state?x', headers: alice, want: 'route mesos /mesos/state?x as alice: proxy 10.0.0.9:5050/state' },
  { name: 'a built-in route without a token', url: '/mesos/state', want: 'unauthorized /mesos/state ERR_AUTHN_TOKEN_MISSING' },
  { name: 'a built-in decision that is not a proxy is labelled by its kind', url: '/service/nothing/', headers: alice, want: expect404('/service/nothing/') },
  { name: 'no route at all', url: '/nowhere', headers: alice, want: 'no-route /nowhere as alice' },
];

function expect404(path: string): string {
  return `route error ${path} as alice: error 404 ERR_GATEWAY_SERVICE_UNKNOWN: service not found: nothing`;
}

describe('RequestPipeline.decide', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const verdict = await pipeline(c.options).decide({ url: c.url, headers: c.headers?.() ?? {} }, c.via ?? 'plain', c.afterPublic);
      expect(summary(verdict)).toBe(c.want);
    });
  }

  it('the fast path takes a recently verified token, and only that: an unverified one goes to the plain path', async () => {
    const p = pipeline();
    // A token no other case verified (the verifier is shared by the file).
    const headers = bearer(token({ uid: 'alice', jti: 'fast-path-case' }));
    expect(p.decide({ url: '/team/a', headers }, 'fast')).toEqual({ kind: 'slow' });
    // The plain path verifies it (asynchronously, the first time)...
    const first = p.decide({ url: '/team/a', headers }, 'plain');
    expect(first).toBeInstanceOf(Promise);
    expect(summary(await first)).toBe('route file:team /team/a as alice: proxy 127.0.0.1:9004/team/a (file team)');
    // ...and then both paths decide at once.
    for (const via of ['fast', 'plain'] as const) {
      const verdict = p.decide({ url: '/team/a', headers }, via);
      expect(verdict).not.toBeInstanceOf(Promise);
      expect(summary(verdict as Verdict)).toBe('route file:team /team/a as alice: proxy 127.0.0.1:9004/team/a (file team)');
    }
  });

  it('a header the token reader refuses: the fast path hands it on, the plain path says why', async () => {
    const headers = { authorization: `token=${'a'.repeat(9000)}` };
    const p = pipeline();
    expect(p.decide({ url: '/team/a', headers }, 'fast')).toEqual({ kind: 'slow' });
    expect(summary(await p.decide({ url: '/team/a', headers }, 'plain'))).toMatch(/^unauthorized \/team\/a ERR_AUTHN_/);
  });

  it('no token: the refusal says how to get one', async () => {
    const verdict = await pipeline().decide({ url: '/team/a', headers: {} }, 'plain');
    expect(verdict.kind === 'unauthorized' && verdict.error.message).toBe('no token: log in at /login, or send Authorization: token=<jwt>');
  });

  it('a service route with no snapshot yet: 503, no task', async () => {
    const verdict = await pipeline({}, null).decide({ url: '/svc/a', headers: alice() }, 'plain');
    expect(summary(verdict)).toBe(
      'route file:svc /svc/a as alice: error 503 ERR_GATEWAY_SERVICE_UNAVAILABLE: route svc: no running task of service web (file svc)',
    );
  });

  it('groupsOf: claimed groups that are strings, with the users file for the own issuer, each once', () => {
    const p = pipeline();
    expect(p.groupsOf({ uid: 'alice', issuer: OWN_ISSUER, expiresAt: null, claims: { groups: ['team', 'x', 3] } })).toEqual(['team', 'x']);
    expect(p.groupsOf({ uid: 'robot', issuer: OWN_ISSUER, expiresAt: null, claims: {} })).toEqual(['team']);
    expect(p.groupsOf({ uid: 'dave', issuer: OWN_ISSUER, expiresAt: null, claims: {} })).toEqual([]);
    expect(p.groupsOf({ uid: 'alice', issuer: 'other-issuer', expiresAt: null, claims: { groups: 'team' } })).toEqual([]);
  });
});
