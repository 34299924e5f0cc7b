// The DC/OS CLI against the real `gatehouse run` binary. The `dcos` CLI itself cannot be installed
// here (it is neither on npm nor in Debian), so this replays, in order, the HTTP requests that
// `dcos cluster setup <url> --username U --password P` (or `--private-key`) and `dcos auth login`
// send, with the headers Go's net/http and the CLI's httpclient put on them, and checks each answer
// the way the CLI reads it. Each step names the dcos/dcos-cli file it comes from (read, not copied):
//
//   pkg/setup/setup.go        Configure: HEAD / (detectCanonicalClusterURL), login flow, GET /metadata,
//                             GET /mesos/state-summary (cluster name), then installDefaultPlugins:
//                             GET /dcos-metadata/dcos-version.json and the >= 1.10 check
//                             (checkDefaultPluginsRequirements); for https, GET /ca/dcos-ca.crt when
//                             the certificate is not trusted (downloadDCOSCABundle).
//   pkg/login/login.go        Providers: challengeAuth = sniffAuth("") = HEAD
//                             /pkgpanda/active.buildinfo.full.json with no Authorization, expecting 401
//                             and reading WWW-Authenticate (200 would mean "auth disabled"); then GET
//                             /acs/api/v1/auth/providers; Login: POST JSON {uid, password|token}
//                             (omitempty), 200 -> {"token"}, else {"title","description","code"}.
//   pkg/login/flow.go         selectProvider (username+password picks dcos-uid-password; otherwise the
//                             providers the flags support) and triggerMethod (user credentials go to
//                             config.start_flow_url, service credentials to the default login URL with
//                             a token {uid, exp: now + 5 min} signed RS256 with the private key).
//   pkg/login/flags.go        Supports: a service-key provider only with --private-key, others only without.
//   pkg/login/provider.go     the provider JSON fields and the client methods the CLI knows.
//   pkg/httpclient/client.go  NewRequest: `Authorization: token=<jwt>`; Post sets Content-Type.
//   pkg/dcos/client.go        Metadata {PUBLIC_IPV4, CLUSTER_ID}, Version {version, dcos-image-commit, bootstrap-id}.
//   pkg/mesos/mesos.go        StateSummary {cluster} from GET /mesos/state-summary.
//   pkg/cmd/auth/auth_login.go  `dcos auth login`: the same login flow with the cluster's stored client.
// The python dcos-core-cli plugin reads the master through /mesos/master/state-summary; both paths
// reach the master (libprocess serves /state-summary for the `master` delegate as well).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, importPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { quickPasswordHash, writeSigningKey } from '../support/premade-authn.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const CLUSTER_NAME = 'gatehouse-e2e';
const account = rsaKeyPair('a');
const accountPrivatePem = account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }
interface Step { method: string; path: string; status: number; authorization: boolean }

let dir: string;
let config: string;
let port: number;
let gatehouse: GatehouseProcess;
let master: Server;
const masterSeen: { path: string; headers: IncomingHttpHeaders }[] = [];
let transcript: Step[] = [];

/**
 * One request as the Go CLI sends it: Go's default User-Agent, `Accept-Encoding: gzip` except on HEAD
 * (net/http's transport), `Authorization: token=<jwt>` when the client holds a token (httpclient),
 * `Content-Type: application/json` on the login POST (httpclient.Post), and no Accept header.
 */
function cli(method: string, path: string, options: { token?: string; json?: unknown } = {}): Promise<Answer> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { 'User-Agent': 'Go-http-client/1.1' };
  if (options.token) headers['Authorization'] = `token=${options.token}`;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  if (method !== 'HEAD') headers['Accept-Encoding'] = 'gzip';
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        transcript.push({ method, path, status: res.statusCode ?? 0, authorization: Boolean(options.token) });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The login providers the CLI knows (pkg/login/provider.go) and its selection (flow.go, flags.go).
const CLIENT_METHODS = [
  'browser-prompt-authtoken',
  'browser-prompt-oidcidtoken-get-authtoken',
  'dcos-credential-post-receive-authtoken',
  'dcos-servicecredential-post-receive-authtoken',
  'dcos-usercredential-post-receive-authtoken',
];
interface Provider { id: string; 'authentication-type': string; 'client-method': string; config: { start_flow_url: string }; description: string }
function selectProvider(providers: Record<string, Omit<Provider, 'id'>>, flags: { username?: string; password?: string; privateKey?: boolean }): Provider[] {
  const candidates: Provider[] = [];
  for (const id of Object.keys(providers).sort()) {
    const provider = { id, ...providers[id]! };
    if (provider['authentication-type'] === 'dcos-uid-password' && flags.username && flags.password) return [provider];
    const supported = provider['authentication-type'] === 'dcos-uid-servicekey' ? Boolean(flags.privateKey) : !flags.privateKey;
    if (supported) candidates.push(provider);
  }
  return candidates;
}

/** The service login token the CLI makes from --private-key (flow.go serviceToken, jwt-go RS256). */
async function serviceLoginToken(uid: string): Promise<string> {
  return new SignJWT({ uid, exp: Math.floor(Date.now() / 1000) + 5 * 60 })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(await importPKCS8(accountPrivatePem, 'RS256'));
}

/** pkg/login/login.go Providers + challengeAuth; returns the providers map. */
async function providersStep(storedToken?: string): Promise<Record<string, Omit<Provider, 'id'>>> {
  const challenge = await cli('HEAD', '/pkgpanda/active.buildinfo.full.json');
  expect(challenge.status).toBe(401);
  // "acsjwt" keeps the provider list as the cluster sends it; "oauthjwt" would add an OIDC provider
  // and make the CLI prompt for a choice.
  expect(challenge.headers['www-authenticate']).toBe('acsjwt');
  const providers = await cli('GET', '/acs/api/v1/auth/providers', storedToken ? { token: storedToken } : {});
  expect(providers.status).toBe(200);
  const map = JSON.parse(providers.body) as Record<string, Omit<Provider, 'id'>>;
  for (const provider of Object.values(map)) {
    expect(CLIENT_METHODS).toContain(provider['client-method']);
    expect(typeof provider.config.start_flow_url).toBe('string');
    expect(typeof provider.description).toBe('string');
  }
  return map;
}

/** The `dcos cluster setup` sequence after login (pkg/setup/setup.go Configure). */
async function afterLogin(token: string): Promise<{ clusterId: string; name: string }> {
  const metadata = await cli('GET', '/metadata', { token });
  expect(metadata.status).toBe(200);
  const meta = JSON.parse(metadata.body) as { CLUSTER_ID: string; PUBLIC_IPV4: string };
  expect(meta.CLUSTER_ID).toMatch(/^[0-9a-f-]{36}$/);
  expect(meta.PUBLIC_IPV4).toBe('127.0.0.1');
  const summary = await cli('GET', '/mesos/state-summary', { token });
  expect(summary.status).toBe(200);
  const name = (JSON.parse(summary.body) as { cluster: string }).cluster;
  const version = await cli('GET', '/dcos-metadata/dcos-version.json', { token });
  expect(version.status).toBe(200);
  const v = JSON.parse(version.body) as { version: string; 'dcos-variant': string; 'dcos-image-commit': string; 'bootstrap-id': string };
  // checkDefaultPluginsRequirements: a parsable version below 1.10 aborts the setup.
  const [major = 0, minor = 0] = v.version.split('.').map(Number);
  expect(major > 1 || (major === 1 && minor >= 10)).toBe(true);
  expect(v['dcos-variant']).toBe('open');   // "enterprise" would make the CLI fetch the EE plugin
  expect(v['dcos-image-commit']).toMatch(/^gatehouse-/);
  return { clusterId: meta.CLUSTER_ID, name };
}

async function startGatehouse(): Promise<number> {
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  return Number((await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']);
}

beforeAll(async () => {
  // A Mesos master: the state summary under both paths libprocess answers (see above).
  master = createServer((req, res) => {
    masterSeen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/master/state-summary' || req.url === '/state-summary') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ hostname: 'localhost', cluster: CLUSTER_NAME, slaves: [], frameworks: [] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => master.listen(0, '127.0.0.1', r));
  const masterPort = (master.address() as AddressInfo).port;

  dir = await mkdtemp(join(tmpdir(), 'gatehouse-dcos-cli-'));
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: `master@127.0.0.1:${masterPort}`, frameworks: [] }));
  await writeFile(join(dir, 'jenkins.pub.pem'), account.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'users.yaml'), [
    'users:', `  - { uid: admin, password: ${JSON.stringify(quickPasswordHash(ADMIN_PASSWORD))} }`,
    'serviceAccounts:', '  - { uid: jenkins, publicKeyFile: jenkins.pub.pem }',
  ].join('\n'), { mode: 0o600 });
  await writeSigningKey(join(dir, 'state', 'signing-key.pem'));
  config = join(dir, 'gatehouse.yaml');
  const configText = (listen: string) => [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns: { enabled: false }',
    // One process: the CLI's requests meet the same GatewayServer in a worker (dcos-cli-task and
    // dcos-cli-metrics run two); the default (auto) forked two workers at each of the two starts here.
    'gateway:', `  listen: ${listen}`, '  workers: 1', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'state', 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n');
  await writeFile(config, configText('127.0.0.1:0'));
  port = await startGatehouse();
  // The CLI keeps the cluster URL, so the restart below must listen on the same port: the one the
  // kernel gave the first start (asked for and released beforehand, another process could take it).
  await writeFile(config, configText(`127.0.0.1:${port}`));
});

afterAll(async () => {
  expect(await gatehouse?.stop()).toBe(0);
  await new Promise((r) => master?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/**
 * `dcos cluster setup` as admin, run once by whichever test needs it first (each test runs alone
 * too: none relies on another having run before it).
 */
let adminSetup: Promise<{ token: string; clusterId: string; name: string; steps: Step[] }> | null = null;
function setUpAsAdmin(): Promise<{ token: string; clusterId: string; name: string; steps: Step[] }> {
  adminSetup ??= (async () => {
    transcript = [];
    // setup.go detectCanonicalClusterURL: HEAD / must be 200 (not a redirect to a login page).
    expect((await cli('HEAD', '/')).status).toBe(200);
    const providers = await providersStep();
    const chosen = selectProvider(providers, { username: 'admin', password: ADMIN_PASSWORD });
    expect(chosen.map((p) => [p.id, p['authentication-type'], p['client-method']])).toEqual([
      ['dcos-users', 'dcos-uid-password', 'dcos-usercredential-post-receive-authtoken'],
    ]);
    // flow.go triggerMethod -> login.go Login(start_flow_url, {uid, password}).
    const login = await cli('POST', chosen[0]!.config.start_flow_url, { json: { uid: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    const { token } = JSON.parse(login.body) as { token: string };
    const { clusterId, name } = await afterLogin(token);
    return { token, clusterId, name, steps: transcript };
  })();
  return adminSetup;
}

describe('dcos cluster setup http://127.0.0.1:<port> --username admin --password …', () => {
  it('runs the CLI sequence in order and every step answers as the CLI expects', async () => {
    const { token, name, steps } = await setUpAsAdmin();
    expect(decodeJwt(token)).toMatchObject({ uid: 'admin', exp: expect.any(Number) });
    expect(name).toBe(CLUSTER_NAME);
    expect(steps.map((s) => `${s.method} ${s.path} ${s.status}${s.authorization ? ' (token)' : ''}`)).toEqual([
      'HEAD / 200',
      'HEAD /pkgpanda/active.buildinfo.full.json 401',
      'GET /acs/api/v1/auth/providers 200',
      'POST /acs/api/v1/auth/login 200',
      'GET /metadata 200 (token)',
      'GET /mesos/state-summary 200 (token)',
      'GET /dcos-metadata/dcos-version.json 200 (token)',
    ]);
  });

  it('the master saw the state-summary request with the token forwarded and the prefix stripped', async () => {
    const { token: setupToken } = await setUpAsAdmin();
    const seen = masterSeen.find((s) => s.path === '/state-summary');
    expect(seen?.headers.authorization).toBe(`token=${setupToken}`);
    expect(seen?.headers['x-forwarded-prefix']).toBe('/mesos');
  });

  it('the python core CLI path /mesos/master/state-summary reaches the master too', async () => {
    const { token: setupToken } = await setUpAsAdmin();
    const summary = await cli('GET', '/mesos/master/state-summary', { token: setupToken });
    expect(summary.status).toBe(200);
    expect(JSON.parse(summary.body)).toMatchObject({ cluster: CLUSTER_NAME });
  });

  it('sniffAuth with the token (browser-token login check): HEAD buildinfo answers 200', async () => {
    const { token: setupToken } = await setUpAsAdmin();
    const sniff = await cli('HEAD', '/pkgpanda/active.buildinfo.full.json', { token: setupToken });
    expect(sniff.status).toBe(200);
  });

  it('over plain HTTP there is no CA to download: /ca/dcos-ca.crt answers 404 (public, not 401)', async () => {
    const ca = await cli('GET', '/ca/dcos-ca.crt');
    expect(ca.status).toBe(404);
    expect(JSON.parse(ca.body)).toMatchObject({ code: 'ERR_GATEWAY_NO_CA' });
  });

  it('a wrong password: 401 with the {title, description, code} the CLI prints', async () => {
    const login = await cli('POST', '/acs/api/v1/auth/login', { json: { uid: 'admin', password: 'nope' } });
    expect(login.status).toBe(401);
    const error = JSON.parse(login.body) as Record<string, unknown>;
    expect(error).toEqual({ title: expect.any(String), description: expect.any(String), code: 'ERR_AUTHN_LOGIN_FAILED' });
  });
});

describe('dcos cluster setup … --username jenkins --private-key jenkins.pem (service account)', () => {
  it('runs the CLI sequence in order with a service login token', async () => {
    const admin = await setUpAsAdmin();
    transcript = [];
    expect((await cli('HEAD', '/')).status).toBe(200);
    const providers = await providersStep();
    const chosen = selectProvider(providers, { username: 'jenkins', privateKey: true });
    expect(chosen.map((p) => [p.id, p['authentication-type'], p['client-method']])).toEqual([
      ['dcos-services', 'dcos-uid-servicekey', 'dcos-servicecredential-post-receive-authtoken'],
    ]);
    // flow.go: service credentials always go to the default login URL.
    const login = await cli('POST', '/acs/api/v1/auth/login', { json: { uid: 'jenkins', token: await serviceLoginToken('jenkins') } });
    expect(login.status).toBe(200);
    const { token } = JSON.parse(login.body) as { token: string };
    expect(decodeJwt(token)).toMatchObject({ uid: 'jenkins' });
    const { clusterId, name } = await afterLogin(token);
    expect(clusterId).toBe(admin.clusterId);
    expect(name).toBe(CLUSTER_NAME);
    expect(transcript.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual([
      'HEAD / 200',
      'HEAD /pkgpanda/active.buildinfo.full.json 401',
      'GET /acs/api/v1/auth/providers 200',
      'POST /acs/api/v1/auth/login 200',
      'GET /metadata 200',
      'GET /mesos/state-summary 200',
      'GET /dcos-metadata/dcos-version.json 200',
    ]);
  });

  it('a login token signed by another key, or for another uid, is refused 401', async () => {
    const other = rsaKeyPair('b');
    const forged = await new SignJWT({ uid: 'jenkins', exp: Math.floor(Date.now() / 1000) + 300 })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(other.privateKey);
    expect((await cli('POST', '/acs/api/v1/auth/login', { json: { uid: 'jenkins', token: forged } })).status).toBe(401);
    expect((await cli('POST', '/acs/api/v1/auth/login', { json: { uid: 'admin', token: await serviceLoginToken('jenkins') } })).status).toBe(401);
  });
});

describe('dcos auth login (the cluster is already set up)', () => {
  it('the same flow with the stored (possibly stale) token on the client: providers and login still answer', async () => {
    const { token: setupToken } = await setUpAsAdmin();
    transcript = [];
    const stale = `${setupToken.slice(0, -4)}AAAA`;   // e.g. expired or from a wiped signing key
    const providers = await providersStep(stale);
    const chosen = selectProvider(providers, { username: 'admin', password: ADMIN_PASSWORD });
    const login = await cli('POST', chosen[0]!.config.start_flow_url, { token: stale, json: { uid: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    expect(transcript.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual([
      'HEAD /pkgpanda/active.buildinfo.full.json 401',
      'GET /acs/api/v1/auth/providers 200',
      'POST /acs/api/v1/auth/login 200',
    ]);
  });
});

describe('after a restart of Gatehouse', () => {
  it('CLUSTER_ID is the same, and the token the CLI stored still works', async () => {
    const { token: setupToken, clusterId: firstClusterId } = await setUpAsAdmin();
    expect(await gatehouse.stop()).toBe(0);
    expect(await startGatehouse()).toBe(port);
    const metadata = await cli('GET', '/metadata', { token: setupToken });
    expect(metadata.status).toBe(200);
    expect(JSON.parse(metadata.body)).toMatchObject({ CLUSTER_ID: firstClusterId });
    expect((await cli('GET', '/mesos/state-summary', { token: setupToken })).status).toBe(200);
  });
});
