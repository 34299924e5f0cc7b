// Salted scrypt password hashes, parameters stored with the hash so they can be raised later:
// `scrypt$N$r$p$<salt base64>$<hash base64>`. Comparison is constant-time.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function isPasswordHash(text: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(text);
}

// What one check may use. scrypt needs about 128·r·(N + p + 2) bytes.
const MAX_MEMORY = 64 * 1024 * 1024;

/**
 * Why a check cannot use this hash, or null: parameters scrypt would refuse, checked before it sees
 * them (a call refused for its memory or for N too large leaves its error in OpenSSL's queue, Node 20
 * and 24, and the next key that process parses, a service account's or a trusted issuer's, fails
 * with it), and a salt or hash too short to mean anything.
 */
export function hashProblem(stored: string): string | null {
  if (!isPasswordHash(stored)) return 'is not a password hash (scrypt$N$r$p$salt$hash)';
  const [, n, r, p, salt, hash] = stored.split('$');
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) return `N ${n} is not a power of two from 2 up`;
  if (R < 1 || P < 1) return `r and p must be 1 or more (r ${r}, p ${p})`;
  // RFC 7914's bound, which OpenSSL enforces: N < 2^(128·r/8) (Infinity for a large r: no bound).
  if (N >= 2 ** (16 * R)) return `N ${n} is too large for r ${r} (N must be under 2^${16 * R})`;
  const memory = 128 * R * (N + P + 2);
  if (memory > MAX_MEMORY) return `N ${n}, r ${r} and p ${p} need ${Math.ceil(memory / 2 ** 20)} MiB to check; a check may use ${MAX_MEMORY / 2 ** 20} MiB`;
  const saltLength = Buffer.from(salt!, 'base64').length;
  if (saltLength < 8) return `the salt is ${saltLength} bytes; at least 8`;
  const keyLength = Buffer.from(hash!, 'base64').length;
  if (keyLength < 16) return `the hash is ${keyLength} bytes; at least 16`;
  return null;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  if (hashProblem(stored) !== null) return false;
  const [, n, r, p, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash!, 'base64');
  const actual = await scrypt(password, Buffer.from(salt!, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The cost of checking a stored hash, roughly: scrypt's work grows with N·r·p. 0 for one a check cannot use. */
export function hashCost(stored: string): number {
  if (hashProblem(stored) !== null) return 0;
  const [, n, r, p] = stored.split('$');
  return Number(n) * Number(r) * Number(p);
}

/**
 * A hash no password matches, with the parameters and key length of `like` (hashPassword's own when
 * it is not given): an unknown uid is checked against it, so that it costs what a wrong password costs.
 */
export function dummyHash(like?: string): string {
  if (like === undefined || hashProblem(like) !== null) return DUMMY_HASH;
  const [, n, r, p, , hash] = like.split('$');
  return zeroHash(`${n}$${r}$${p}`, Buffer.from(hash!, 'base64').length);
}

const zeroHash = (params: string, keyLength: number) =>
  `scrypt$${params}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(keyLength).toString('base64')}`;

export const DUMMY_HASH = zeroHash(`${N}$${R}$${P}`, KEY_LENGTH);
