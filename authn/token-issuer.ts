// Tokens this instance mints (login, `gatehouse token`): always with `exp`, signed with its key.
import { SignJWT } from 'jose';
import type { SigningKey } from './signing-key.js';

export const OWN_ISSUER = 'gatehouse';

export async function issueToken(key: SigningKey, uid: string, ttlMs: number, extra: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...extra, uid })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(OWN_ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.max(1, Math.floor(ttlMs / 1000)))
    .sign(key.privateKey);
}
