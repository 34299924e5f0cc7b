// The login function: users, service accounts, the same answer for unknown uid and wrong password,
// brute force limited per uid and per address, cookies with the right attributes.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter, TokenVerifier, hashPassword, loadOrCreateSigningKey, login, type LoginContext, type SigningKey, type UsersFile } from '../../authn/index.js';

let dir: string;
let key: SigningKey;
let users: UsersFile;
const account = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-login-'));
  key = (await loadOrCreateSigningKey(join(dir, 'key.pem'))).key;
  users = {
    users: [{ uid: 'alice', password: await hashPassword('wonderland'), groups: ['ops'] }],
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

  const badBodies: [string, unknown][] = [['no body', null], ['no uid', { password: 'x' }], ['no credentials', { uid: 'alice' }], ['a number as password', { uid: 'alice', password: 5 }]];
  for (const [name, body] of badBodies) {
    it(`400 for ${name}`, async () => expect((await login({ body, clientAddress: '127.0.0.1', secure: false }, context())).status).toBe(400));
  }

  it('brute force: the 6th try within the window is 429 with Retry-After, even with the right password', async () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ maxFailures: 5, windowMs: 300_000, now: () => now });
    for (let i = 0; i < 5; i++) expect((await login({ body: { uid: 'alice', password: `guess${i}` }, clientAddress: '10.9.9.9', secure: false }, context(limiter))).status).toBe(401);
    const locked = await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.1.1.1', secure: false }, context(limiter));
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBe('300');
    // Spraying other accounts from the same address is limited too.
    expect((await login({ body: { uid: 'ci', password: 'x' }, clientAddress: '10.9.9.9', secure: false }, context(limiter))).status).toBe(429);
    now += 300_001;
    expect((await login({ body: { uid: 'alice', password: 'wonderland' }, clientAddress: '10.1.1.1', secure: false }, context(limiter))).status).toBe(200);
    limiter.close();
  });
});
