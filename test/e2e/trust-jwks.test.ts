// `authn.trust` through the real gateway: the real `gatehouse run` binary trusts a remote JWKS served
// by a local HTTP server started here (keys made with jose) and a static public key file; tokens of
// the trusted issuers reach a local upstream through a route file, everything else is refused 401.
// The first gateway keeps the production refetch cooldown (30 s): the unknown kids it is shown do not
// make it refetch. Key rotation runs on a second gateway configured with `refetchCooldown: 500ms`, so
// the refetch after the cooldown is seen in under a second instead of after half a minute.
import { execFile } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

const ISSUER = 'https://idp.example/';
const AUDIENCE = 'gatehouse';
const COOLDOWN_MS = 30_000;

const rsa = rsaKeyPair('a');
const rotated = rsaKeyPair('b');
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pss = rsaKeyPair('c');   // published with alg PS256
const stranger = rsaKeyPair('d');
const ci = generateKeyPairSync('ed25519');                          // the static `publicKey` entry

const now = () => Math.floor(Date.now() / 1000);
const sign = (key: KeyObject, header: { alg: string; kid?: string }, claims: Record<string, unknown> = {}) =>
  new SignJWT({ uid: 'carol', iss: ISSUER, aud: AUDIENCE, exp: now() + 300, ...claims }).setProtectedHeader(header).sign(key);
/** A token whose header says one thing while the signature is made another way (jose would not sign it). */
const forge = (header: Record<string, unknown>, claims: Record<string, unknown>, signWith: (input: Buffer) => Buffer) => {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${signWith(Buffer.from(input)).toString('base64url')}`;
};

// The issuer's key set: what /jwks.json answers, changed by the tests (rotation, outage).
const jwks: { keys: Record<string, unknown>[] } = { keys: [] };
let issuerUp = true;
let jwksFetches = 0;
let lastFetchAt = 0;
let jwksServer: Server;
let upstreamServer: Server;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let dir: string;
let gatehouse: GatehouseProcess;
let base: string;
let startedAt = 0;
let fetchesAtStart = 0;

const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  jwks.keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    { ...(await exportJWK(pss.publicKey)), kid: 'pss-1', alg: 'PS256', use: 'sig' },
  ];
  jwksServer = createServer((req, res) => {
    jwksFetches++;
    lastFetchAt = Date.now();
    if (!issuerUp) return void req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  const jwksPort = await listen(jwksServer);
  upstreamServer = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reached: req.url }));
  });
  const upstreamPort = await listen(upstreamServer);

  dir = await mkdtemp(join(tmpdir(), 'gatehouse-trust-'));
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', frameworks: [] }));
  await writeFile(join(dir, 'ci.pub.pem'), ci.publicKey.export({ type: 'spki', format: 'pem' }));
  await mkdir(join(dir, 'routes.d'));
  await writeFile(join(dir, 'routes.d', 'app.yaml'), [
    'routes:',
    `  - { name: app, path: /app/, to: "http://127.0.0.1:${upstreamPort}" }`,
    `  - { name: ops, path: /ops/, to: "http://127.0.0.1:${upstreamPort}", allow: { groups: [ops] } }`,
  ].join('\n'));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns: { enabled: false }',
    // One worker: the assertions count the issuer's key fetches, and every worker fetches its own.
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 1', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'keys', 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    '  trust:',
    `    - { jwks: "http://127.0.0.1:${jwksPort}/jwks.json", issuer: ${JSON.stringify(ISSUER)}, audience: ${AUDIENCE} }`,
    `    - { publicKey: ${JSON.stringify(join(dir, 'ci.pub.pem'))}, issuer: ci }`,
  ].join('\n'));
  await premadeAuthn(join(dir, 'keys', 'signing-key.pem'), join(dir, 'users.yaml'));
  startedAt = Date.now();
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  base = `http://127.0.0.1:${(await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']}`;
  fetchesAtStart = jwksFetches;
});

afterAll(async () => {
  expect(await gatehouse?.stop()).toBe(0);
  for (const s of [jwksServer, upstreamServer]) await new Promise((r) => s?.close(r));
  await rm(dir, { recursive: true, force: true });
});

const get = async (path: string, token: string) => {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};
const curl = (path: string, token: string) =>
  new Promise<string>((resolve) => execFile('curl', ['-s', '-i', '-H', `Authorization: token=${token}`, `${base}${path}`], (_e, stdout) => resolve(stdout)));

describe('remote JWKS trust through the gateway', () => {
  it('fetched the key set once at start', () => {
    expect(fetchesAtStart).toBe(1);
  });

  it('a token from the trusted issuer reaches the upstream (curl, Authorization: token=)', async () => {
    const answer = await curl('/app/hello', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }));
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answer).toContain('{"reached":"/hello"}');
    expect(seen.at(-1)?.headers.authorization).toMatch(/^token=/);
  });

  it('an ES256 token from the JWKS is accepted', async () => {
    const r = await get('/app/es', await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-1' }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ reached: '/es' });
  });

  const refused: { name: string; token: () => Promise<string>; code: string }[] = [
    {
      name: 'wrong issuer (signed with the trusted key)',
      token: () => sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { iss: 'https://evil.example/' }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'wrong audience',
      token: () => sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { aud: 'someone-else' }),
      code: 'ERR_AUTHN_AUDIENCE_MISMATCH',
    },
    {
      name: 'no audience at all',
      token: () => sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { aud: undefined }),
      code: 'ERR_AUTHN_AUDIENCE_MISMATCH',
    },
    {
      name: 'unknown kid (signed by a key the issuer never published)',
      token: () => sign(stranger.privateKey, { alg: 'RS256', kid: 'nobody' }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'a known kid but a key the issuer never published',
      token: () => sign(stranger.privateKey, { alg: 'RS256', kid: 'rsa-1' }),
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'expired',
      token: () => sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { exp: now() - 3600 }),
      code: 'ERR_AUTHN_TOKEN_EXPIRED',
    },
    // alg against the JWK: the issuer published pss-1 for PS256 only; an RS256 token signed with that very key is refused.
    {
      name: 'RS256 token with the kid of a key published for PS256 (JWK alg mismatch)',
      token: () => sign(pss.privateKey, { alg: 'RS256', kid: 'pss-1' }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    // alg against the key type: ES256 named on the RSA key's kid, and RS256 on the EC key's kid.
    {
      name: 'ES256 header on the RSA kid (kty mismatch)',
      token: async () =>
        forge({ alg: 'ES256', kid: 'rsa-1' }, { uid: 'carol', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }, (input) =>
          cryptoSign('sha256', input, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }),
        ),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'RS256 header on the EC kid (kty mismatch)',
      token: async () =>
        forge({ alg: 'RS256', kid: 'ec-1' }, { uid: 'carol', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }, (input) =>
          cryptoSign('sha256', input, rsa.privateKey),
        ),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    // The real algorithm-confusion attack: an HMAC keyed with the public key as the issuer publishes it.
    {
      name: 'HS256 signed with the published RSA key (PEM) as the HMAC secret',
      token: async () =>
        forge({ alg: 'HS256', kid: 'rsa-1' }, { uid: 'carol', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }, (input) =>
          createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' }))
            .update(input)
            .digest(),
        ),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'HS256 signed with the published RSA key (JWK JSON) as the HMAC secret',
      token: async () =>
        forge({ alg: 'HS256', kid: 'rsa-1' }, { uid: 'carol', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }, (input) =>
          createHmac('sha256', JSON.stringify(rsa.publicKey.export({ format: 'jwk' })))
            .update(input)
            .digest(),
        ),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
  ];
  for (const c of refused) {
    it(`refused 401: ${c.name}`, async () => {
      const r = await get('/app/x', await c.token());
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('acsjwt');
      expect(r.body).toMatchObject({ code: c.code });
    });
  }

  it('unknown kids within the cooldown do not make the gateway hammer the issuer', async () => {
    // Shown here rather than relying on the refused cases above, so that this test runs alone too.
    for (const kid of ['unknown-1', 'unknown-2', 'unknown-3'])
      expect((await get('/app/x', await sign(stranger.privateKey, { alg: 'RS256', kid }))).status).toBe(401);
    expect(Date.now() - startedAt).toBeLessThan(COOLDOWN_MS);
    expect(jwksFetches).toBe(1);
  });

  it('a route allow policy uses the groups claim of the foreign token', async () => {
    expect((await get('/ops/', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { groups: ['ops'] }))).status).toBe(200);
    const refusedByPolicy = await get('/ops/', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }, { groups: ['dev'] }));
    expect(refusedByPolicy.status).toBe(403);
    expect(refusedByPolicy.body).toMatchObject({ code: 'ERR_GATEWAY_FORBIDDEN' });
    expect((await get('/ops/', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }))).status).toBe(403);
  });
});

describe('a static publicKey trust entry', () => {
  it('an EdDSA token of the bound issuer is accepted', async () => {
    const r = await get('/app/ci', await new SignJWT({ uid: 'ci-bot', iss: 'ci', exp: now() + 60 }).setProtectedHeader({ alg: 'EdDSA' }).sign(ci.privateKey));
    expect(r.status).toBe(200);
  });
  it('the same key with another issuer is refused', async () => {
    const r = await get(
      '/app/ci',
      await new SignJWT({ uid: 'ci-bot', iss: 'elsewhere', exp: now() + 60 }).setProtectedHeader({ alg: 'EdDSA' }).sign(ci.privateKey),
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'ERR_AUTHN_ISSUER_MISMATCH' });
  });
});

describe('an issuer that goes down', () => {
  it('tokens with known keys are still accepted (last good keys), unknown kids refused', async ({ onTestFinished }) => {
    issuerUp = false;
    onTestFinished(() => void (issuerUp = true));
    for (const [key, header] of [[rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }], [ec.privateKey, { alg: 'ES256', kid: 'ec-1' }]] as const) {
      const r = await get('/app/down', await sign(key, header));
      expect({ kid: header.kid, status: r.status, body: r.body }).toEqual({ kid: header.kid, status: 200, body: { reached: '/down' } });
    }
    const unknown = await get('/app/down', await sign(stranger.privateKey, { alg: 'RS256', kid: 'rsa-3' }));
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN' });
    // And the gateway itself keeps serving.
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe('key rotation with authn.trust[].refetchCooldown: 500ms (a second gateway)', () => {
  const ROTATION_COOLDOWN_MS = 500;
  const keys: { keys: Record<string, unknown>[] } = { keys: [] };
  let up = true;
  let fetches = 0;
  let lastAt = 0;
  let server: Server;
  let rotating: GatehouseProcess;
  let rotatingBase: string;
  let rotatingDir: string;
  const call = async (path: string, token: string) => (await fetch(`${rotatingBase}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    keys.keys = [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }];
    server = createServer((req, res) => {
      fetches++;
      lastAt = Date.now();
      if (!up) return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
    });
    const port = await listen(server);
    rotatingDir = await mkdtemp(join(tmpdir(), 'gatehouse-trust-rotate-'));
    await writeFile(join(rotatingDir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', frameworks: [] }));
    const config = join(rotatingDir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(rotatingDir, 'state.json'))} }`,
      'dns: { enabled: false }',
      'gateway:', '  listen: 127.0.0.1:0', '  workers: 1', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
      'authn:', `  signingKey: ${JSON.stringify(join(rotatingDir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(rotatingDir, 'users.yaml'))}`,
      '  trust:', `    - { jwks: "http://127.0.0.1:${port}/jwks.json", issuer: ${JSON.stringify(ISSUER)}, audience: ${AUDIENCE}, refetchCooldown: 500ms }`,
    ].join('\n'));
    await premadeAuthn(join(rotatingDir, 'signing-key.pem'), join(rotatingDir, 'users.yaml'));
    rotating = startGatehouseProcess(['run', '--config', config]);
    rotatingBase = `http://127.0.0.1:${(await rotating.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']}`;
  });
  afterAll(async () => {
    expect(await rotating?.stop()).toBe(0);
    await new Promise((r) => server?.close(r));
    await rm(rotatingDir, { recursive: true, force: true });
  });

  it('fetched the key set once at start', () => {
    expect(fetches).toBe(1);
  });

  /**
   * The issuer publishes rsa-2 and the gateway learns it from a token that needs it: done once, by
   * whichever test needs it first (each test runs alone too).
   */
  let learned: Promise<{ before: number; status: number; after: number }> | null = null;
  const learnRotatedKey = () =>
    (learned ??= (async () => {
      keys.keys.push({ ...(await exportJWK(rotated.publicKey)), kid: 'rsa-2', alg: 'RS256', use: 'sig' });
      // Wait out the configured cooldown, counted from the last fetch (jose stamps it once the answer is
      // parsed, hence the margin). With the 30 s default the token below would be refused.
      const wait = lastAt + ROTATION_COOLDOWN_MS + 300 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const before = fetches;
      const status = await call('/app/rotated', await sign(rotated.privateKey, { alg: 'RS256', kid: 'rsa-2' }));
      return { before, status, after: fetches };
    })());

  it('the issuer adds a new kid: once the cooldown has passed, a token with it is accepted (one refetch)', async () => {
    const { before, status, after } = await learnRotatedKey();
    expect(status).toBe(200);
    expect(after).toBe(before + 1);
    // The old key still works after the refetch, without another one.
    expect(await call('/app/old', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }))).toBe(200);
    expect(fetches).toBe(before + 1);
  });

  it('the issuer goes down: the old and the rotated key keep working (last good keys)', async () => {
    expect((await learnRotatedKey()).status).toBe(200);
    up = false;
    expect(await call('/app/down', await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }))).toBe(200);
    expect(await call('/app/down', await sign(rotated.privateKey, { alg: 'RS256', kid: 'rsa-2' }))).toBe(200);
  });
});

describe('an issuer that is down when the gateway starts', () => {
  let late: GatehouseProcess;
  let lateBase: string;
  let lateDir: string;
  let server: Server;
  let up = false;
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches++;
      if (!up) return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwks.keys[0]] }));
    });
    const port = await listen(server);
    lateDir = await mkdtemp(join(tmpdir(), 'gatehouse-trust-late-'));
    await writeFile(join(lateDir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', frameworks: [] }));
    const config = join(lateDir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(lateDir, 'state.json'))} }`,
      'dns: { enabled: false }',
      'gateway:', '  listen: 127.0.0.1:0', '  workers: 1', `  routes: ${JSON.stringify(join(lateDir, 'routes.d'))}`,
      'authn:', `  signingKey: ${JSON.stringify(join(lateDir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(lateDir, 'users.yaml'))}`,
      '  trust:', `    - { jwks: "http://127.0.0.1:${port}/jwks.json", issuer: ${JSON.stringify(ISSUER)}, audience: ${AUDIENCE} }`,
    ].join('\n'));
    await premadeAuthn(join(lateDir, 'signing-key.pem'), join(lateDir, 'users.yaml'));
    late = startGatehouseProcess(['run', '--config', config]);
    lateBase = `http://127.0.0.1:${(await late.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']}`;
  });
  afterAll(async () => {
    expect(await late?.stop()).toBe(0);
    await new Promise((r) => server?.close(r));
    await rm(lateDir, { recursive: true, force: true });
  });

  it('starts anyway and says which issuer it could not reach', () => {
    const warning = late.logs.find((l) => l.msg.startsWith('trusted issuer keys could not be fetched'));
    expect(warning).toMatchObject({ issuer: ISSUER });
    expect(fetches).toBe(1);
  });
  it('refuses the issuer\'s tokens while it is down, and accepts them once it is back (no cooldown without good keys)', async () => {
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    const headers = { authorization: `token=${token}` };
    const down = await fetch(`${lateBase}/metadata`, { headers });
    expect(down.status).toBe(401);
    expect(await down.json()).toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN' });
    up = true;
    const back = await fetch(`${lateBase}/metadata`, { headers });
    expect(back.status).toBe(200);
    expect(await back.json()).toHaveProperty('CLUSTER_ID');
  });
});
