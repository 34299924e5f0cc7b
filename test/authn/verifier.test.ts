// Token verification against every attack of issue 4 §6 that a verifier can see, each a named case.
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier, extractToken, issueToken, loadOrCreateSigningKey, staticKeyFromPem, loadTrustedIssuers, type SigningKey } from '../../authn/index.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

let dir: string;
let own: SigningKey;
let verifier: TokenVerifier;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const other = rsaKeyPair('a');
const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function sign(key: KeyObject, alg: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-authn-'));
  own = (await loadOrCreateSigningKey(join(dir, 'keys', 'signing-key.pem'))).key;
  const ecKey = await staticKeyFromPem(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'ec.pem', { issuer: 'ci' });
  const edKey = await staticKeyFromPem(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'ed.pem');
  verifier = new TokenVerifier({ own: { kid: own.kid, alg: own.alg, key: own.publicKey, issuer: 'gatehouse' }, staticKeys: [ecKey, edKey] });
});
afterAll(async () => {
  verifier.close();
  await rm(dir, { recursive: true, force: true });
});

describe('signing key', () => {
  it('is created with mode 0600 in a 0700 directory', async () => {
    expect((await stat(join(dir, 'keys', 'signing-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
  });
  it('is read back (same kid) on the next start', async () => {
    const again = await loadOrCreateSigningKey(join(dir, 'keys', 'signing-key.pem'));
    expect(again.created).toBe(false);
    expect(again.key.kid).toBe(own.kid);
  });
});

describe('accepted tokens', () => {
  it('our own token (RS256, uid, exp)', async () => {
    const caller = await verifier.verify(await issueToken(own, 'alice', 60_000));
    expect(caller.uid).toBe('alice');
    expect(caller.issuer).toBe('gatehouse');
  });
  it('ES256 from a trusted static key with its issuer; sub works as uid', async () => {
    const token = await sign(ec.privateKey, 'ES256', { sub: 'svc-ci', iss: 'ci', exp: now() + 60 });
    expect((await verifier.verify(token)).uid).toBe('svc-ci');
  });
  it('EdDSA from a trusted static key', async () => {
    expect((await verifier.verify(await sign(ed.privateKey, 'EdDSA', { uid: 'bob', exp: now() + 60 }))).uid).toBe('bob');
  });
  it('exp within the 60 s leeway', async () => {
    expect((await verifier.verify(await sign(own.privateKey, 'RS256', { uid: 'late', iss: 'gatehouse', exp: now() - 30 }, { kid: own.kid }))).uid).toBe('late');
  });
  it('a verified token is served from the cache the second time', async () => {
    const token = await issueToken(own, 'cached', 60_000);
    await verifier.verify(token);
    const hits = verifier.hits;
    await verifier.verify(token);
    expect(verifier.hits).toBe(hits + 1);
  });
});

describe('attacks and bad tokens (each refused with its code)', () => {
  const cases: { name: string; token: () => Promise<string> | string; code: string }[] = [
    {
      name: 'alg: none',
      token: () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ uid: 'admin', exp: now() + 60 })}.`,
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'HS256 signed with the public key',
      token: () => {
        const pem = own.publicKey.export({ type: 'spki', format: 'pem' }).toString();
        const head = `${b64({ alg: 'HS256', kid: own.kid })}.${b64({ uid: 'admin', iss: 'gatehouse', exp: now() + 60 })}`;
        return `${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`;
      },
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'RS256 token presented as ES256 (our kid)',
      token: async () => {
        const real = await issueToken(own, 'admin', 60_000);
        const [, payload, signature] = real.split('.');
        return `${b64({ alg: 'ES256', kid: own.kid })}.${payload}.${signature}`;
      },
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'tampered payload',
      token: async () => {
        const [header, , signature] = (await issueToken(own, 'alice', 60_000)).split('.');
        return `${header}.${b64({ uid: 'admin', iss: 'gatehouse', exp: now() + 600 })}.${signature}`;
      },
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'expired',
      token: () => sign(own.privateKey, 'RS256', { uid: 'a', iss: 'gatehouse', exp: now() - 120 }, { kid: own.kid }),
      code: 'ERR_AUTHN_TOKEN_EXPIRED',
    },
    {
      name: 'nbf in the future',
      token: () => sign(own.privateKey, 'RS256', { uid: 'a', iss: 'gatehouse', exp: now() + 600, nbf: now() + 300 }, { kid: own.kid }),
      code: 'ERR_AUTHN_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'wrong issuer on our key',
      token: () => sign(own.privateKey, 'RS256', { uid: 'a', iss: 'evil', exp: now() + 60 }, { kid: own.kid }),
      code: 'ERR_AUTHN_ISSUER_MISMATCH',
    },
    {
      name: 'wrong issuer on a static key bound to one',
      token: () => sign(ec.privateKey, 'ES256', { uid: 'a', iss: 'other', exp: now() + 60 }),
      code: 'ERR_AUTHN_ISSUER_MISMATCH',
    },
    {
      name: 'unknown kid',
      token: () => sign(other.privateKey, 'RS256', { uid: 'a', exp: now() + 60 }, { kid: 'nope' }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'signed by an untrusted key, no kid',
      token: () => sign(other.privateKey, 'RS256', { uid: 'a', exp: now() + 60 }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'our public key with ES256 and no kid',
      token: () => sign(ec.privateKey, 'ES256', { uid: 'a', exp: now() + 60 }, { kid: own.kid }),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'no uid or sub',
      token: () => sign(own.privateKey, 'RS256', { iss: 'gatehouse', exp: now() + 60 }, { kid: own.kid }),
      code: 'ERR_AUTHN_CLAIM_MISSING',
    },
    { name: 'not a JWT', token: () => 'hello.world', code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'a 20 kB token', token: () => `${b64({ alg: 'RS256' })}.${'A'.repeat(20_000)}.x`, code: 'ERR_AUTHN_TOKEN_TOO_LARGE' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await expect(verifier.verify(await c.token())).rejects.toMatchObject({ code: c.code });
    });
  }
});

describe('where tokens come from', () => {
  const table: { name: string; headers: Record<string, string>; want: string | null | RegExp }[] = [
    { name: 'Authorization: token=', headers: { authorization: 'token=abc' }, want: 'abc' },
    { name: 'Authorization: Bearer', headers: { authorization: 'Bearer abc' }, want: 'abc' },
    { name: 'cookie alone', headers: { cookie: 'x=1; dcos-acs-auth-cookie=abc; y=2' }, want: 'abc' },
    { name: 'nothing', headers: {}, want: null },
    {
      name: 'cookie plus an invalid Authorization header: the cookie does not rescue it',
      headers: { authorization: 'Basic Zm9vOmJhcg==', cookie: 'dcos-acs-auth-cookie=good' },
      want: /ERR_AUTHN_TOKEN_MALFORMED/,
    },
    { name: 'a 20 kB token in the header', headers: { authorization: `token=${'a'.repeat(20_000)}` }, want: /ERR_AUTHN_TOKEN_TOO_LARGE/ },
  ];
  for (const c of table) {
    it(c.name, () => {
      if (c.want instanceof RegExp) {
        let code = '';
        try {
          extractToken(c.headers);
        } catch (error) {
          code = (error as { code: string }).code;
        }
        expect(code).toMatch(c.want);
      } else expect(extractToken(c.headers)?.token ?? null).toBe(c.want);
    });
  }
  it('a token in the query string is not a token (only headers are read)', () => {
    expect(extractToken({ host: 'x' })).toBeNull();
  });
});

describe('remote JWKS of a trusted issuer', () => {
  let server: Server;
  let url: string;
  let keys: object[] = [];
  let available = true;
  let fetches = 0;
  const first = rsaKeyPair('b');
  const second = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches++;
      if (!available) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const jwk = async (key: KeyObject, alg: string) => {
    const j = await exportJWK(key);
    return { ...j, alg, kid: await calculateJwkThumbprint(j) };
  };

  it('verifies, picks up a rotated key, keeps the last good keys while the issuer is down', async () => {
    keys = [await jwk(first.publicKey, 'RS256')];
    // No cooldown here so that the rotation is picked up at once; production uses 30 s.
    const { remote } = await loadTrustedIssuers([{ jwks: url, issuer: 'https://idp.example/', audience: 'gatehouse' }], { cooldownMs: 0 });
    const v = new TokenVerifier({ remote });
    try {
      const kid1 = (keys[0] as { kid: string }).kid;
      const t1 = await sign(first.privateKey, 'RS256', { uid: 'u1', iss: 'https://idp.example/', aud: 'gatehouse', exp: now() + 60 }, { kid: kid1 });
      expect((await v.verify(t1)).uid).toBe('u1');

      // Rotation: a new kid makes the set refetch.
      keys = [...keys, await jwk(second.publicKey, 'ES256')];
      const kid2 = (keys[1] as { kid: string }).kid;
      const t2 = await sign(second.privateKey, 'ES256', { uid: 'u2', iss: 'https://idp.example/', aud: 'gatehouse', exp: now() + 60 }, { kid: kid2 });
      expect((await v.verify(t2)).uid).toBe('u2');

      // Issuer down: known keys keep working (a fresh token, not a cached result).
      available = false;
      const before = fetches;
      const t3 = await sign(first.privateKey, 'RS256', { uid: 'u3', iss: 'https://idp.example/', aud: 'gatehouse', exp: now() + 60 }, { kid: kid1 });
      expect((await v.verify(t3)).uid).toBe('u3');
      expect(fetches).toBe(before);

      // Wrong audience, and an RS256 token claiming the EC key's kid.
      const wrongAud = await sign(first.privateKey, 'RS256', { uid: 'u', iss: 'https://idp.example/', aud: 'other', exp: now() + 60 }, { kid: kid1 });
      await expect(v.verify(wrongAud)).rejects.toMatchObject({ code: 'ERR_AUTHN_AUDIENCE_MISMATCH' });
      const confused = await sign(first.privateKey, 'RS256', { uid: 'u', iss: 'https://idp.example/', aud: 'gatehouse', exp: now() + 60 }, { kid: kid2 });
      await expect(v.verify(confused)).rejects.toMatchObject({ code: expect.stringMatching(/ERR_AUTHN_(KEY_UNKNOWN|ALGORITHM_REJECTED|SIGNATURE_INVALID)/) });
    } finally {
      v.close();
      available = true;
    }
  });
});
