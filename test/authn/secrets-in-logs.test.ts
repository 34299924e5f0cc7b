// Tokens, passwords and password hashes never reach the logs: everything the authn library logs at
// debug level is captured from pino and searched for each secret the scenario used.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LoginLimiter,
  TokenVerifier,
  hashPassword,
  issueToken,
  
  login,
  type LoginContext,
  type SigningKey,
  type UsersFile,
} from '../../authn/index.js';
import { premadeSigningKey } from '../support/premade-authn.js';

let dir: string;
let key: SigningKey;
let users: UsersFile;
const lines: string[] = [];
const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
const account = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PASSWORD = 'Tr0ub4dor&3-in-the-logs?';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-logs-'));
  key = await premadeSigningKey(join(dir, 'key.pem'));
  users = {
    users: [{ uid: 'alice', password: await hashPassword(PASSWORD), groups: [] }],
    serviceAccounts: [{ uid: 'ci', publicKey: account.publicKey.export({ type: 'spki', format: 'pem' }).toString(), groups: [] }],
  };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('secrets never appear in logs', () => {
  it('verification, login with passwords and service-account tokens, and the tokens login issues', async () => {
    const secrets: { name: string; value: string }[] = [
      { name: 'the password', value: PASSWORD },
      { name: 'the password hash', value: users.users[0]!.password.split('$').pop()! },
    ];
    const verifier = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: 'gatehouse' }, logger });
    const limiter = new LoginLimiter();
    const context: LoginContext = { users: () => users, signingKey: key, tokenTtlMs: 60_000, limiter, logger };
    try {
      const good = await issueToken(key, 'alice', 60_000);
      const expired = await new SignJWT({ uid: 'alice', iss: 'gatehouse' })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(key.privateKey);
      const tampered = `${good.split('.')[0]}.${Buffer.from(JSON.stringify({ uid: 'admin', iss: 'gatehouse', exp: 9e9 })).toString('base64url')}.${good.split('.')[2]}`;
      secrets.push({ name: 'a valid token', value: good }, { name: 'an expired token', value: expired }, { name: 'a tampered token', value: tampered });
      await verifier.verify(good);
      for (const t of [expired, tampered, `${good}x`]) await verifier.verify(t).catch(() => undefined);

      const right = await login({ body: { uid: 'alice', password: PASSWORD }, clientAddress: '127.0.0.1', secure: false }, context);
      expect(right.status).toBe(200);
      secrets.push({ name: 'the token login issued', value: String(right.body.token) });
      expect((await login({ body: { uid: 'alice', password: `${PASSWORD}!` }, clientAddress: '127.0.0.1', secure: false }, context)).status).toBe(401);
      secrets.push({ name: 'a wrong password', value: `${PASSWORD}!` });
      const proof = await new SignJWT({ uid: 'ci' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('2m').sign(account.privateKey);
      secrets.push({ name: 'a service-account proof', value: proof });
      const accountLogin = await login({ body: { uid: 'ci', token: proof }, clientAddress: '127.0.0.1', secure: false }, context);
      expect(accountLogin.status).toBe(200);
      secrets.push({ name: 'the token a service account got', value: String(accountLogin.body.token) });
    } finally {
      verifier.close();
      limiter.close();
    }
    logger.flush();
    const log = lines.join('');
    // The logs do carry the events, so the search below searches something.
    expect(log).toContain('"code":"ERR_AUTHN_TOKEN_EXPIRED"');
    expect(log).toContain('"code":"ERR_AUTHN_SIGNATURE_INVALID"');
    expect(log).toContain('login failed');
    for (const secret of secrets) {
      // Each part of a token on its own is enough to find it (a signature identifies the token).
      for (const part of secret.value.split('.').filter((p) => p.length >= 16)) {
        expect(log.includes(part), `${secret.name} appears in the logs`).toBe(false);
      }
      expect(log.includes(secret.value), `${secret.name} appears in the logs`).toBe(false);
    }
  });
});
