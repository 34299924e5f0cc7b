// The login function: users, service accounts, the same answer for unknown uid and wrong password,
// attempts limited before the check per address and per (uid, address) with a per-uid slow-down,
// cookies with the right attributes.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../authn/login-limiter.js';
import {
  LoginLimiter,
  TokenVerifier,
  
  login,
  type LoginContext,
  type SigningKey,
  type UsersFile,
} from '../../authn/index.js';
import { quickPasswordHash, premadeSigningKey } from '../support/premade-authn.js';

let dir: string;
let key: SigningKey;
let users: UsersFile;
const account = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-login-'));
  key = await premadeSigningKey(join(dir, 'key.pem'));
  users = {
    // The stored parameters (N = 1024) are what a login checks with: ~6 ms a login instead of ~90 (premade-authn.ts).
    users: [{ uid: 'alice', password: quickPasswordHash('wonderland'), groups: ['ops'] }],
    serviceAccounts: [{ uid: 'ci', publicKey: account.publicKey.export({ type: 'spki', format: 'pem' }).toString(), groups: [] }],
  };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const context = (limiter = new LoginLimiter()): LoginContext => ({ users: () => users, signingKey: key, tokenTtlMs: 3_600_000, limiter });
const proof = (signer: typeof account.privateKey, uid: string, seconds: number) =>
  new SignJWT({ uid }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime(Math.floor(Date.now() / 1000) + seconds).sign(signer);

describe('login', () => {
  it('a user with the right password gets a token for their uid and an HttpOnly SameSite=Lax cookie', async () => {
    const answer = await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '127.0.0.1', secure: false }, context());
    expect(answer.status).toBe(200);
    const verifier = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: 'gatehouse' } });
    const caller = await verifier.verify(answer.body['token'] as string);
    verifier.close();
    expect(caller.uid).toBe('alice');
    expect(caller.claims['groups']).toEqual(['ops']);
    expect(answer.headers['set-cookie']).toMatch(/^dcos-acs-auth-cookie=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600$/);
  });

  it('adds Secure to the cookie under TLS', async () => {
    const answer = await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '127.0.0.1', secure: true }, context());
    expect(answer.headers['set-cookie']).toMatch(/; Secure$/);
  });

  it('unknown uid and wrong password get the same answer', async () => {
    const unknown = await login({ body: { uid: 'nobody', password: 'x' }, clientAddress: '10.0.0.1', secure: false }, context());
    const wrong = await login({ body: { uid: 'alice', password: 'x' }, clientAddress: '10.0.0.2', secure: false }, context());
    expect(unknown).toEqual(wrong);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('acsjwt');
  });

  const accountCases: { name: string; token: () => Promise<string>; status: number }[] = [
    { name: 'service account with a token signed by its key', token: () => proof(account.privateKey, 'ci', 60), status: 200 },
    { name: 'service account token signed by another key', token: () => proof(stranger.privateKey, 'ci', 60), status: 401 },
    { name: 'service account token for another uid', token: () => proof(account.privateKey, 'alice', 60), status: 401 },
    { name: 'service account token that lives too long', token: () => proof(account.privateKey, 'ci', 86_400), status: 401 },
    { name: 'service account token that expired', token: () => proof(account.privateKey, 'ci', -600), status: 401 },
  ];
  for (const c of accountCases) {
    it(c.name, async () => {
      const answer = await login({ body: { uid: 'ci', token: await c.token() }, clientAddress: '127.0.0.1', secure: false }, context());
      expect(answer.status).toBe(c.status);
    });
  }

  const badBodies: [string, unknown][] = [
    ['no body', null],
    ['no uid', { password: 'x' }],
    ['no credentials', { uid: 'alice' }],
    ['a number as password', { uid: 'alice', password: 5 }],
  ];
  for (const [name, body] of badBodies) {
    it(`400 for ${name}`, async () => expect((await login({ body, clientAddress: '127.0.0.1', secure: false }, context())).status).toBe(400));
  }

  it('brute force from one address: the 6th try for that uid is 429 with Retry-After there, even with the right password', async () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ windowMs: 300_000, slowdownBaseMs: 1, slowdownMaxMs: 1, now: () => now });
    for (let i = 0; i < 5; i++)
      expect(
        (await login({ body: { uid: 'alice', password: `guess${i}` }, clientAddress: '10.9.9.9', secure: false }, context(limiter))).status,
      ).toBe(401);
    const locked = await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.9.9.9', secure: false }, context(limiter));
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBe('300');
    now += 300_001;
    expect((await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.9.9.9', secure: false }, context(limiter))).status).toBe(200);
    limiter.close();
  });

  it('failures from one address never lock the right password out from another address', async () => {
    const limiter = new LoginLimiter({ slowdownBaseMs: 1, slowdownMaxMs: 5 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++)
        await login({ body: { uid: 'alice', password: `guess${i}` }, clientAddress: `10.9.9.${round}`, secure: false }, context(limiter));
    }
    expect((await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.1.1.1', secure: false }, context(limiter))).status).toBe(200);
    limiter.close();
  });

  it('spraying many uids from one address: 429 once the address has 20 failures', async () => {
    const limiter = new LoginLimiter({ slowdownBaseMs: 1, slowdownMaxMs: 1 });
    for (let i = 0; i < 20; i++)
      expect(
        (await login({ body: { uid: `user${i}`, password: 'x' }, clientAddress: '10.7.7.7', secure: false }, context(limiter))).status,
      ).toBe(401);
    expect((await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.7.7.7', secure: false }, context(limiter))).status).toBe(429);
    expect((await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.7.7.8', secure: false }, context(limiter))).status).toBe(200);
    limiter.close();
  });

  it('200 concurrent wrong guesses: at most 5 password checks, the rest 429 before any check', async () => {
    const limiter = new LoginLimiter();
    const outcomes: string[] = [];
    const counted: LoginContext = { ...context(limiter), attempts: { inc: ({ outcome }) => void outcomes.push(outcome) } };
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        login({ body: { uid: 'alice', password: `guess${i}` }, clientAddress: '10.3.3.3', secure: false }, counted),
      ),
    );
    expect(outcomes.filter((o) => o !== 'limited')).toHaveLength(5);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(195);
    limiter.close();
  });
});

describe('LoginLimiter', () => {
  it('slows a uid down as its failures grow, from any address, capped', () => {
    const now = 0;
    const limiter = new LoginLimiter({ slowdownAfter: 5, slowdownBaseMs: 250, slowdownMaxMs: 2000, now: () => now });
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const admission = limiter.admit('admin', `10.0.0.${i}`);
      if (!admission.admitted) throw new Error('refused');
      delays.push(admission.delayMs);
      admission.settle(false);
    }
    expect(delays).toEqual([0, 0, 0, 0, 0, 250, 500, 1000, 2000, 2000]);
    const right = limiter.admit('admin', '10.0.1.1');
    expect(right.admitted).toBe(true);
    if (right.admitted) right.settle(true);
    const after = limiter.admit('admin', '10.0.1.2');
    expect(after.admitted && after.delayMs).toBe(0); // a success ends the slow-down
    limiter.close();
  });

  it('attempts in flight count: a full (uid, address) with none failed yet asks to retry in 1 s', () => {
    const limiter = new LoginLimiter();
    const admitted = Array.from({ length: 5 }, () => limiter.admit('bob', '10.0.0.1'));
    expect(admitted.every((a) => a.admitted)).toBe(true);
    expect(limiter.admit('bob', '10.0.0.1')).toEqual({ admitted: false, retryAfter: 1 });
    for (const a of admitted) if (a.admitted) a.settle(true);
    expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(true);
    limiter.close();
  });

  const keys: [string, string, string][] = [
    ['IPv4 as is', '192.0.2.7', '192.0.2.7'],
    ['IPv4-mapped IPv6 as IPv4', '::ffff:192.0.2.7', '192.0.2.7'],
    ['IPv6 by its /64', '2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['the same /64, another host', '2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['IPv6 loopback', '::1', '0:0:0:0::/64'],
    ['zone id dropped', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
  ];
  for (const [name, address, key] of keys) it(`addressKey: ${name}`, () => expect(addressKey(address)).toBe(key));
});
