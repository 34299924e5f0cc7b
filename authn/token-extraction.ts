// Where a request's token comes from, in Admin Router's order: `Authorization: token=<jwt>`, then
// `Authorization: Bearer <jwt>`, then (only when there is no Authorization header at all) the
// `dcos-acs-auth-cookie` cookie. Never the query string. Oversized tokens are refused before any
// crypto runs.
import type { IncomingHttpHeaders } from 'node:http';
import { AuthnError } from './errors.js';

export const AUTH_COOKIE = 'dcos-acs-auth-cookie';
export const MAX_TOKEN_BYTES = 8192;

export interface ExtractedToken {
  readonly token: string;
  readonly from: 'authorization' | 'cookie';
}

function checked(token: string, from: ExtractedToken['from']): ExtractedToken {
  if (token.length > MAX_TOKEN_BYTES)
    throw new AuthnError('ERR_AUTHN_TOKEN_TOO_LARGE', `the token is ${token.length} bytes, over the limit of ${MAX_TOKEN_BYTES}`);
  if (!token) throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token is empty');
  return { token, from };
}

/** The token a request carries, or null when it carries none. Throws on an unusable one. */
export function extractToken(headers: IncomingHttpHeaders): ExtractedToken | null {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    // An Authorization header that is present decides alone: a cookie never rescues a bad one.
    const value = authorization.trim();
    // `token=` case-insensitively, without a regex capture copying the whole token (the hot path).
    if (value.length >= 6 && value.slice(0, 6).toLowerCase() === 'token=') return checked(value.slice(6).trim(), 'authorization');
    const bearer = /^Bearer\s+(.*)$/i.exec(value);
    if (bearer) return checked(bearer[1]!.trim(), 'authorization');
    throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the Authorization header is neither "token=<jwt>" nor "Bearer <jwt>"');
  }
  const cookies = headers.cookie;
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === AUTH_COOKIE) return checked(part.slice(eq + 1).trim(), 'cookie');
  }
  return null;
}
