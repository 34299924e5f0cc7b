// Password hashes on their own (authn/password-hash.ts): which stored texts are hashes (the users file
// refuses the others), hashes with raised parameters still verify (the parameters are stored beside
// each hash so they can be raised later), a malformed stored hash never verifies, and the dummy hash
// unknown users are checked against is a real one. Written for what mutation testing found unchecked.
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DUMMY_HASH, checkPassword, isPasswordHash } from '../../authn/password-hash.js';

/** A stored hash made with the given parameters, as a later version (or another tool) might write it. */
function storedHash(password: string, N: number, r: number, p: number): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

describe('isPasswordHash', () => {
  const salt = Buffer.alloc(16, 1).toString('base64');
  const hash = Buffer.alloc(32, 2).toString('base64');
  const cases: [string, string, boolean][] = [
    ['the format hashPassword writes', `scrypt$16384$8$1$${salt}$${hash}`, true],
    ['r and p of two digits', `scrypt$1024$16$12$${salt}$${hash}`, true],
    ['text before it', `xscrypt$16384$8$1$${salt}$${hash}`, false],
    ['text after it', `scrypt$16384$8$1$${salt}$${hash}!`, false],
    ['a part missing', `scrypt$16384$8$${salt}$${hash}`, false],
    ['a plain-text password', 'wonderland', false],
  ];
  for (const [name, text, want] of cases) it(`${name}: ${want}`, () => expect(isPasswordHash(text)).toBe(want));
});

describe('checkPassword', () => {
  // N is small to keep the test cheap; r and p have two digits (the stored format allows any).
  it('a hash with other parameters (N 16, r 16, p 10) verifies with its own parameters', async () => {
    const stored = storedHash('wonderland', 16, 16, 10);
    expect(await checkPassword('wonderland', stored)).toBe(true);
    expect(await checkPassword('wonderlant', stored)).toBe(false);
  });

  const malformed: [string, string][] = [
    ['not a hash', 'not a hash'],
    ['empty', ''],
    ['a hash without its salt and hash parts', 'scrypt$1024$8$1$$'],
  ];
  for (const [name, stored] of malformed) {
    it(`a malformed stored hash never verifies (${name})`, async () => expect(await checkPassword('', stored)).toBe(false));
  }

  it('the dummy hash for unknown users is a hash of the same parameters as hashPassword (it costs what a real check costs)', () => {
    expect(isPasswordHash(DUMMY_HASH)).toBe(true);
    expect(DUMMY_HASH.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
  });
});
