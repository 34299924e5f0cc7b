// Remote key sets of trusted issuers against a real JWKS server on 127.0.0.1: the cooldown on unknown
// kids, an issuer that is down or slow from the start, and key sets that are not what they claim.
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier, loadTrustedIssuers } from '../../authn/index.js';
import { refusedPorts } from '../support/refused-port.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

const ISSUER = 'https://idp.example/';
const rsa = rsaKeyPair('a');
const rotated = rsaKeyPair('b');
const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
// jose will not sign with a 1024-bit key; an issuer that does is exactly what must be refused.
const smallToken = () => {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', kid: 'small' })}.${b64({ uid: 'u', iss: ISSUER, aud: 'gatehouse', exp: now() + 60 })}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`;
};
const now = () => Math.floor(Date.now() / 1000);
const jwk = async (key: KeyObject, alg: string) => {
  const j = await exportJWK(key);
  return { ...j, alg, kid: await calculateJwkThumbprint(j) };
};
const token = (key: KeyObject, kid: string, claims: Record<string, unknown> = {}, alg = 'RS256') =>
  new SignJWT({ uid: 'u', iss: ISSUER, aud: 'gatehouse', exp: now() + 60, ...claims }).setProtectedHeader({ alg, kid }).sign(key);

let server: Server;
let url: string;
let answer: (res: ServerResponse) => void = (res) => res.writeHead(503).end();
let fetches = 0;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    open.add(res);
    res.on('close', () => open.delete(res));
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterEach(() => {
  for (const res of open) res.destroy();
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const serve = (body: unknown, status = 200) => {
  answer = (res) => res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
};
const verifierFor = async (options: { cooldownMs?: number; timeoutMs?: number } = {}, logger?: pino.Logger, entry: { refetchCooldownMs?: number } = {}) => {
  const { remote } = await loadTrustedIssuers([{ jwks: url, issuer: ISSUER, audience: 'gatehouse', ...entry }], options);
  return new TokenVerifier({ remote, ...(logger ? { logger } : {}) });
};

describe('remote JWKS: refetching', () => {
  // The cooldown comes from the trust entry (authn.trust[].refetchCooldown), else the caller's
  // option, else the 30 s default; the default itself is held by test/e2e/trust-jwks.test.ts.
  const cases: { name: string; cooldownMs?: number; entryCooldownMs?: number; fetchesForUnknownKid: number; rotatedAccepted: boolean }[] = [
    {
      name: 'inside the cooldown an unknown kid is refused without a refetch',
      cooldownMs: 600_000,
      fetchesForUnknownKid: 0,
      rotatedAccepted: false,
    },
    {
      name: 'after the cooldown an unknown kid refetches once and finds the rotated key',
      cooldownMs: 0,
      fetchesForUnknownKid: 1,
      rotatedAccepted: true,
    },
    {
      name: "the trust entry's refetchCooldown (0) is used instead of the 30 s default",
      entryCooldownMs: 0,
      fetchesForUnknownKid: 1,
      rotatedAccepted: true,
    },
    {
      name: "the trust entry's refetchCooldown (10 min) wins over the caller's option (0)",
      cooldownMs: 0,
      entryCooldownMs: 600_000,
      fetchesForUnknownKid: 0,
      rotatedAccepted: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const first = await jwk(rsa.publicKey, 'RS256');
      serve({ keys: [first] });
      const v = await verifierFor(
        c.cooldownMs === undefined ? {} : { cooldownMs: c.cooldownMs },
        undefined,
        c.entryCooldownMs === undefined ? {} : { refetchCooldownMs: c.entryCooldownMs },
      );
      try {
        expect((await v.verify(await token(rsa.privateKey, first.kid))).uid).toBe('u');
        const second = await jwk(rotated.publicKey, 'RS256');
        serve({ keys: [first, second] });
        const before = fetches;
        const attempt = v.verify(await token(rotated.privateKey, second.kid));
        if (c.rotatedAccepted) expect((await attempt).uid).toBe('u');
        else await expect(attempt).rejects.toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN' });
        expect(fetches - before).toBe(c.fetchesForUnknownKid);
      } finally {
        v.close();
      }
    });
  }
});

describe('remote JWKS: issuers and key sets that do not work', () => {
  it('an issuer that is down at start: start() warns and resolves, tokens are refused, and work once it is up', async () => {
    answer = (res) => res.writeHead(503).end();
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
    const first = await jwk(rsa.publicKey, 'RS256');
    const v = await verifierFor({ cooldownMs: 0 }, logger);
    try {
      await v.start();
      expect(lines.join('')).toContain('trusted issuer keys could not be fetched');
      await expect(v.verify(await token(rsa.privateKey, first.kid))).rejects.toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN' });
      serve({ keys: [first] });
      expect((await v.verify(await token(rsa.privateKey, first.kid))).uid).toBe('u');
    } finally {
      v.close();
    }
  });

  it('an issuer that is down at start: start() without a logger resolves too; the warning names issuer, URL and reason', async () => {
    answer = (res) => res.writeHead(503).end();
    const quiet = await verifierFor({ cooldownMs: 0 });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => void (lines.push(JSON.parse(String(chunk))), done()) }));
    const loud = await verifierFor({ cooldownMs: 0 }, logger);
    try {
      await quiet.start();
      await loud.start();
      const msg = 'trusted issuer keys could not be fetched; will retry when a token needs them';
      expect(lines).toEqual([expect.objectContaining({ issuer: ISSUER, url, reason: expect.any(String), msg })]);
    } finally {
      quiet.close();
      loud.close();
    }
  });

  it('two keys of the set match a token without kid: each is tried, the one that signed it is accepted', async () => {
    const withoutKid = async (key: KeyObject) => {
      const { kid: _kid, ...rest } = await jwk(key, 'RS256');
      return rest;
    };
    serve({ keys: [await withoutKid(rsa.publicKey), await withoutKid(rotated.publicKey)] });
    const v = await verifierFor({ cooldownMs: 0 });
    try {
      const claims = { uid: 'u', iss: ISSUER, aud: 'gatehouse', exp: now() + 60 };
      const signed = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(rotated.privateKey);
      expect((await v.verify(signed)).uid).toBe('u');
      const [header, , signature] = signed.split('.');
      const payload = Buffer.from(JSON.stringify({ uid: 'admin', iss: ISSUER, aud: 'gatehouse', exp: now() + 60 })).toString('base64url');
      const forged = `${header}.${payload}.${signature}`; // verified by neither key
      await expect(v.verify(forged)).rejects.toMatchObject({ code: 'ERR_AUTHN_SIGNATURE_INVALID' });
    } finally {
      v.close();
    }
  });

  it('an issuer whose port refuses connections: refused, naming the fetch error', async () => {
    const [port] = await refusedPorts(1);
    const { remote } = await loadTrustedIssuers([{ jwks: `http://127.0.0.1:${port}/jwks.json`, issuer: ISSUER, audience: 'gatehouse' }], { cooldownMs: 0 });
    const v = new TokenVerifier({ remote });
    try {
      const refusal = await v.verify(await token(rsa.privateKey, 'k1')).then(() => null, (error: Error) => error);
      expect(refusal).toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN', message: expect.stringMatching(/^the token's keys could not be fetched: ./) });
      expect(refusal?.cause).toBeInstanceOf(Error);
    } finally {
      v.close();
    }
  });

  it('an issuer that never answers: refused after the fetch timeout', async () => {
    answer = () => undefined;
    const v = await verifierFor({ cooldownMs: 0, timeoutMs: 200 });
    try {
      await expect(v.verify(await token(rsa.privateKey, 'k1'))).rejects.toMatchObject({ code: 'ERR_AUTHN_KEY_UNKNOWN' });
    } finally {
      v.close();
    }
  });

  const bodies: { name: string; body: () => Promise<unknown>; tokenFor: () => Promise<string>; code: string; message?: RegExp }[] = [
    {
      name: 'a body that is not JSON',
      body: async () => '<html>gateway error</html>',
      tokenFor: () => token(rsa.privateKey, 'k1'),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: /^the trusted issuer's keys could not be used: ERR_JOSE_GENERIC$/,
    },
    {
      name: 'keys that is not a list',
      body: async () => ({ keys: 'none' }),
      tokenFor: () => token(rsa.privateKey, 'k1'),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: /^the trusted issuer's keys could not be used: ERR_JWKS_INVALID$/,
    },
    {
      name: 'an empty key set',
      body: async () => ({ keys: [] }),
      tokenFor: () => token(rsa.privateKey, 'k1'),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: /^no key of the trusted issuer matches the token$/,
    },
    {
      name: 'a 1024-bit RSA key',
      body: async () => ({ keys: [{ ...(await exportJWK(small.publicKey)), kid: 'small', alg: 'RS256' }] }),
      tokenFor: async () => smallToken(),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: /^the trusted issuer's key is not usable: a key of http:\/\/127\.0\.0\.1:\d+\/jwks\.json: RSA key of 1024 bits/,
    },
    {
      name: 'an HMAC key, with an HS256 token',
      body: async () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'mac', alg: 'HS256' }] }),
      tokenFor: () => token(Buffer.from('secret') as unknown as KeyObject, 'mac', {}, 'HS256'),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'an HMAC key, with an RS256 token naming it',
      body: async () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'mac' }] }),
      tokenFor: () => token(rsa.privateKey, 'mac'),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
    {
      name: 'an RSA key marked for encryption',
      body: async () => ({ keys: [{ ...(await jwk(rsa.publicKey, 'RS256')), kid: 'enc', use: 'enc' }] }),
      tokenFor: () => token(rsa.privateKey, 'enc'),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: /^no key of the trusted issuer matches the token$/,
    },
    {
      name: 'the right key and kid, but a token signed by another key',
      body: async () => ({ keys: [await jwk(rsa.publicKey, 'RS256')] }),
      tokenFor: async () => token(rotated.privateKey, (await jwk(rsa.publicKey, 'RS256')).kid),
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'the right key, but a token for another issuer trusted nowhere',
      body: async () => ({ keys: [await jwk(rsa.publicKey, 'RS256')] }),
      tokenFor: async () => token(rsa.privateKey, (await jwk(rsa.publicKey, 'RS256')).kid, { iss: 'https://evil.example/' }),
      code: 'ERR_AUTHN_KEY_UNKNOWN',
    },
  ];
  for (const c of bodies) {
    it(`refuses tokens when the issuer serves ${c.name}`, async () => {
      serve(await c.body());
      const v = await verifierFor({ cooldownMs: 0 });
      try {
        const refusal = await v.verify(await c.tokenFor()).then(() => null, (error: Error) => error);
        expect(refusal).toMatchObject({ code: c.code, ...(c.message ? { message: expect.stringMatching(c.message) } : {}) });
        // A refusal translated from the key set's own error keeps that error as its cause.
        if (c.message && !c.message.source.startsWith('^no key')) expect(refusal?.cause).toBeInstanceOf(Error);
      } finally {
        v.close();
      }
    });
  }

  const badTrust: { name: string; jwks: string; message: RegExp }[] = [
    { name: 'not a URL', jwks: 'idp.example/jwks', message: /authn\.trust\[0\]\.jwks: "idp\.example\/jwks" is not a URL/ },
    { name: 'a file: URL', jwks: 'file:///etc/passwd', message: /authn\.trust\[0\]\.jwks: file: URLs are not supported/ },
  ];
  for (const c of badTrust) {
    it(`trust: refuses a jwks that is ${c.name}`, async () => {
      await expect(loadTrustedIssuers([{ jwks: c.jwks, issuer: ISSUER }])).rejects.toMatchObject({
        code: 'ERR_AUTHN_KEY_FILE',
        message: expect.stringMatching(c.message),
      });
    });
  }
});
