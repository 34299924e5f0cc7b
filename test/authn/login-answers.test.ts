// The login function's answers whole (status, body, headers), its log lines and attempt counts, the
// groups in the token, the uid's slow-down, and service accounts: whose key proves which account, the
// clock leeway and the longest life a proof may have. Written for what mutation testing found
// unchecked (TESTING.md); login.test.ts covers the limits and the cookie.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LoginLimiter, login, type LoginContext, type SigningKey, type UsersFile } from '../../authn/index.js';
import { quickPasswordHash, premadeSigningKey } from '../support/premade-authn.js';

const ci = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const deploy = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: typeof ci.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();

let dir: string;
let key: SigningKey;
const users: UsersFile = {
  users: [
    { uid: 'alice', password: quickPasswordHash('wonderland'), groups: ['ops'] },
    { uid: 'bob', password: quickPasswordHash('builder'), groups: [] },
    // A hash whose N is not a power of two (the users file refuses it; a file made in code can hold it).
    { uid: 'broken', password: `scrypt$3$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`, groups: [] },
  ],
  serviceAccounts: [
    { uid: 'ci', publicKey: pem(ci.publicKey), groups: ['builders'] },
    { uid: 'deploy', publicKey: pem(deploy.publicKey), groups: ['ops'] },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-login-answers-'));
  // The worker's shared test key: this file is not about creating one (signing-key.test.ts is).
  key = await premadeSigningKey(join(dir, 'key.pem'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const limiters: LoginLimiter[] = [];
afterEach(() => {
  for (const limiter of limiters.splice(0)) limiter.close();
  vi.useRealTimers();
});

function setup(limiterOptions: ConstructorParameters<typeof LoginLimiter>[0] = {}) {
  const lines: Record<string, any>[] = [];
  const attempts: string[] = [];
  const limiter = new LoginLimiter(limiterOptions);
  limiters.push(limiter);
  const context: LoginContext = {
    users: () => users,
    signingKey: key,
    tokenTtlMs: 3_600_000,
    limiter,
    logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    attempts: { inc: ({ outcome }) => void attempts.push(outcome) },
  };
  const attempt = (body: unknown, clientAddress = '10.0.0.1') => login({ body, clientAddress, secure: false }, context);
  return { attempt, lines, attempts };
}

const proof = (signer: typeof ci.privateKey, uid: string, expiresIn: number) =>
  new SignJWT({ uid }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn).sign(signer);

const refusal = (status: number, title: string, description: string, code: string, headers: Record<string, string> = {}) => ({
  status,
  body: { title, description, code },
  headers: { ...headers, 'www-authenticate': 'acsjwt' },
});
const BAD_REQUEST = refusal(400, 'Bad Request', 'send {"uid", "password"} or, for a service account, {"uid", "token"}', 'ERR_AUTHN_LOGIN_BAD_REQUEST');
const FAILED = refusal(401, 'Unauthorized', 'login failed: unknown uid or wrong credentials', 'ERR_AUTHN_LOGIN_FAILED');

describe('login: the answers whole', () => {
  it('a request without credentials: 400 naming what to send', async () => {
    expect(await setup().attempt({ uid: 'alice' })).toEqual(BAD_REQUEST);
  });

  it('a wrong password: 401, logged with the uid and address, counted as failed', async () => {
    const { attempt, lines, attempts } = setup();
    expect(await attempt({ uid: 'alice', password: 'x' })).toEqual(FAILED);
    expect(lines.map((l) => [l.msg, l.uid, l.address])).toEqual([['login failed', 'alice', '10.0.0.1']]);
    expect(attempts).toEqual(['failed']);
  });

  it('a login: logged and counted as ok; a uid of 200 characters is logged cut to 128', async () => {
    const { attempt, lines, attempts } = setup();
    expect((await attempt({ uid: 'alice', password: 'wonderland' })).status).toBe(200);
    await attempt({ uid: 'u'.repeat(200), password: 'x' });
    expect(lines.map((l) => [l.msg, l.uid, l.address])).toEqual([
      ['login', 'alice', '10.0.0.1'],
      ['login failed', 'u'.repeat(128), '10.0.0.1'],
    ]);
    expect(attempts).toEqual(['ok', 'failed']);
  });

  it('too many failures: 429 with Retry-After and the wait in its text, logged, counted as limited', async () => {
    const { attempt, lines, attempts } = setup({ maxFailuresPerUidAddress: 1 });
    await attempt({ uid: 'alice', password: 'x' });
    const answer = await attempt({ uid: 'alice', password: 'wonderland' });
    const wait = answer.headers['retry-after']!;
    expect(Number(wait)).toBeGreaterThan(0);
    const text = `too many failed logins; try again in ${wait} s`;
    expect(answer).toEqual(refusal(429, 'Too Many Requests', text, 'ERR_AUTHN_LOGIN_LIMITED', { 'retry-after': wait }));
    expect(lines.map((l) => [l.msg, l.uid, l.address, l.retryAfter])).toEqual([
      ['login failed', 'alice', '10.0.0.1', undefined],
      ['login refused: too many failures', 'alice', '10.0.0.1', Number(wait)],
    ]);
    expect(attempts).toEqual(['failed', 'limited']);
  });

  // scrypt is never asked (a refused call leaves an error in OpenSSL's queue that the next key parse
  // in the process picks up): such a hash fails as a wrong password does, and counts as one.
  it('a stored hash scrypt would refuse is a failed login, counted by the limiter', async () => {
    const { attempt } = setup({ maxFailuresPerUidAddress: 2 });
    expect((await attempt({ uid: 'broken', password: 'x' })).status).toBe(401);
    expect((await attempt({ uid: 'broken', password: 'x' })).status).toBe(401);
    expect((await attempt({ uid: 'broken', password: 'x' })).status).toBe(429);
  });
});

describe('login: the token', () => {
  const cases: [string, Record<string, unknown>, string, string[] | undefined][] = [
    ['a user in a group: the groups in the token', { uid: 'alice', password: 'wonderland' }, 'alice', ['ops']],
    ['a user in no group: no groups claim (never another entry\'s)', { uid: 'bob', password: 'builder' }, 'bob', undefined],
  ];
  for (const [name, body, uid, groups] of cases) {
    it(name, async () => {
      const answer = await setup().attempt(body);
      const claims = decodeJwt(answer.body['token'] as string);
      expect([claims['uid'], claims['groups']]).toEqual([uid, groups]);
    });
  }
});

describe('login: service accounts', () => {
  const cases: { name: string; uid: string; token: () => Promise<string>; status: number; groups?: string[] }[] = [
    {
      name: 'the second account with its own key: its groups',
      uid: 'deploy',
      token: () => proof(deploy.privateKey, 'deploy', 60),
      status: 200,
      groups: ['ops'],
    },
    { name: "another account's key proves nothing for this one", uid: 'deploy', token: () => proof(ci.privateKey, 'deploy', 60), status: 401 },
    { name: 'an account that does not exist', uid: 'ghost', token: () => proof(ci.privateKey, 'ghost', 60), status: 401 },
    {
      name: 'a proof living 10 minutes (the longest, with a minute of leeway)',
      uid: 'ci',
      token: () => proof(ci.privateKey, 'ci', 600),
      status: 200,
      groups: ['builders'],
    },
    {
      name: 'a proof that expired 30 s ago (within the 60 s clock leeway)',
      uid: 'ci',
      token: () => proof(ci.privateKey, 'ci', -30),
      status: 200,
      groups: ['builders'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const answer = await setup().attempt({ uid: c.uid, token: await c.token() });
      if (c.status !== 200) return expect(answer).toEqual(FAILED);
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body['token'] as string)['groups']).toEqual(c.groups);
    });
  }
});

describe("login: the uid's slow-down", () => {
  it('after the failures the limiter allows, the next check waits the delay it asks for; before them, none', async () => {
    const { attempt } = setup({ slowdownAfter: 1, slowdownBaseMs: 30_000 });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const first = attempt({ uid: 'alice', password: 'x' }, '10.0.0.1');
    expect(vi.getTimerCount()).toBe(0);
    expect((await first).status).toBe(401);
    const second = attempt({ uid: 'alice', password: 'wonderland' }, '10.0.0.2');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await second).status).toBe(200);
  });
});
