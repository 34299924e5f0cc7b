// `POST /acs/api/v1/auth/login`, as a function the gateway calls: `{uid, password}` for users,
// `{uid, token}` for service accounts (a short-lived JWT signed with the account's private key).
// Unknown users and wrong passwords get the same answer in about the same time; attempts are limited
// per address and per (uid, address), and slowed per uid, before any check (login-limiter.ts).
import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { Logger } from 'pino';
import type { LoginLimiter } from './login-limiter.js';
import { algorithmOf } from './trusted-keys.js';
import type { SigningKey } from './signing-key.js';
import { issueToken } from './token-issuer.js';
import { AUTH_COOKIE } from './token-extraction.js';
import { verifyPassword, type UsersFile } from './users.js';

export interface LoginRequest {
  readonly body: unknown;
  readonly clientAddress: string;
  readonly secure: boolean;                // HTTPS: the cookie gets `Secure`
}

export interface LoginAnswer {
  readonly status: 200 | 400 | 401 | 429;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

export interface LoginContext {
  readonly users: () => UsersFile;
  readonly signingKey: SigningKey;
  readonly tokenTtlMs: number;
  readonly limiter: LoginLimiter;
  /** Logins and failures by uid and address; never a password or a token. */
  readonly logger?: Logger;
  /** Attempts by outcome: `ok` and `failed` were checked, `limited` were refused before any check. */
  readonly attempts?: { inc(labels: { outcome: 'ok' | 'failed' | 'limited' }): void };
}

/** Service-account login tokens must be short-lived. */
const MAX_LOGIN_TOKEN_SECONDS = 10 * 60;

const failure = (status: 400 | 401 | 429, title: string, description: string, code: string, headers: Record<string, string> = {}): LoginAnswer => ({
  status,
  body: { title, description, code },
  headers: { ...headers, 'www-authenticate': 'acsjwt' },
});

export async function login(request: LoginRequest, context: LoginContext): Promise<LoginAnswer> {
  const body = request.body as { uid?: unknown; password?: unknown; token?: unknown } | null;
  const uid = typeof body?.uid === 'string' ? body.uid : '';
  if (!uid || (typeof body?.password !== 'string' && typeof body?.token !== 'string')) {
    return failure(400, 'Bad Request', 'send {"uid", "password"} or, for a service account, {"uid", "token"}', 'ERR_AUTHN_LOGIN_BAD_REQUEST');
  }
  const who = { uid: uid.slice(0, 128), address: request.clientAddress };
  // Admitted (and counted) before the check, synchronously: concurrent guesses cannot outrun the limit.
  const admission = context.limiter.admit(uid, request.clientAddress);
  if (!admission.admitted) {
    const wait = admission.retryAfter;
    context.attempts?.inc({ outcome: 'limited' });
    context.logger?.warn({ ...who, retryAfter: wait }, 'login refused: too many failures');
    return failure(429, 'Too Many Requests', `too many failed logins; try again in ${wait} s`, 'ERR_AUTHN_LOGIN_LIMITED', { 'retry-after': String(wait) });
  }
  let ok = false;
  const users = context.users();
  try {
    if (admission.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, admission.delayMs));
    ok = typeof body!.password === 'string' ? await verifyPassword(users, uid, body!.password) : await serviceAccountProof(users, uid, body!.token as string);
  } finally {
    admission.settle(ok);
  }
  context.attempts?.inc({ outcome: ok ? 'ok' : 'failed' });
  if (!ok) {
    context.logger?.info(who, 'login failed');
    return failure(401, 'Unauthorized', 'login failed: unknown uid or wrong credentials', 'ERR_AUTHN_LOGIN_FAILED');
  }
  context.logger?.info(who, 'login');
  const groups = [...users.users, ...users.serviceAccounts].find((u) => u.uid === uid)?.groups ?? [];
  const token = await issueToken(context.signingKey, uid, context.tokenTtlMs, groups.length ? { groups } : {});
  const maxAge = Math.floor(context.tokenTtlMs / 1000);
  const cookie = `${AUTH_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${request.secure ? '; Secure' : ''}`;
  return { status: 200, body: { token }, headers: { 'set-cookie': cookie } };
}

async function serviceAccountProof(users: UsersFile, uid: string, token: string): Promise<boolean> {
  const account = users.serviceAccounts.find((s) => s.uid === uid);
  if (!account) return false;
  try {
    const key = createPublicKey(account.publicKey);
    const { payload } = await jwtVerify(token, key, { algorithms: [algorithmOf(key, `serviceAccounts ${uid}`)], clockTolerance: 60, requiredClaims: ['exp'] });
    const now = Date.now() / 1000;
    return payload['uid'] === uid && typeof payload.exp === 'number' && payload.exp - now <= MAX_LOGIN_TOKEN_SECONDS + 60;
  } catch {
    return false;
  }
}
