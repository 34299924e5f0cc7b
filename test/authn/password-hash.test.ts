// Password hashes on their own (authn/password-hash.ts): which stored texts are hashes (the users file
// refuses the others), hashes with raised parameters still verify (the parameters are stored beside
// each hash so they can be raised later), a malformed stored hash never verifies, and the dummy hash
// unknown users are checked against is a real one. Written for what mutation testing found unchecked.
import { createPrivateKey, generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DUMMY_HASH, checkPassword, dummyHash, hashCost, hashPassword, hashProblem, isPasswordHash } from '../../authn/password-hash.js';

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

// What the users file refuses (with its position) and checkPassword never passes to scrypt: parameters
// scrypt would refuse, as OpenSSL 3 checks them, and a salt or hash too short. The edges: exactly the
// 64 MiB a check may use, the largest N for r 1, the shortest salt and hash allowed.
describe('hashProblem', () => {
  const hash = (params: string, salt = 'AQEBAQEBAQE=', key = 'AgICAgICAgICAgICAgICAg==') => `scrypt$${params}$${salt}$${key}`;
  const cases: [string, string, string | null][] = [
    ['hashPassword\'s parameters', hash('16384$8$1'), null],
    ['exactly the 64 MiB a check may use', hash('2$65536$4'), null],
    ['the largest N for r 1', hash('32768$1$1'), null],
    ['N 2', hash('2$1$1'), null],
    ['N 2^16 with r 2', hash('65536$2$1'), null],
    ['not a hash', 'hunter2', 'is not a password hash (scrypt$N$r$p$salt$hash)'],
    ['N not a power of two', hash('1000$8$1'), 'N 1000 is not a power of two from 2 up'],
    ['N of 1', hash('1$8$1'), 'N 1 is not a power of two from 2 up'],
    ['N of 0', hash('0$8$1'), 'N 0 is not a power of two from 2 up'],
    ['N past 2^53', hash('18014398509481984$8$1'), 'N 18014398509481984 is not a power of two from 2 up'],
    ['r of 0', hash('1024$0$1'), 'r and p must be 1 or more (r 0, p 1)'],
    ['p of 0', hash('1024$8$0'), 'r and p must be 1 or more (r 8, p 0)'],
    ['N too large for r 1', hash('65536$1$1'), 'N 65536 is too large for r 1 (N must be under 2^16)'],
    ['N too large for r 2', hash('4294967296$2$1'), 'N 4294967296 is too large for r 2 (N must be under 2^32)'],
    ['more memory than a check may use', hash('131072$8$1'), 'N 131072, r 8 and p 1 need 129 MiB to check; a check may use 64 MiB'],
    ['p takes it over the memory', hash('2$65536$5'), 'N 2, r 65536 and p 5 need 72 MiB to check; a check may use 64 MiB'],
    ['a salt of 7 bytes', hash('1024$8$1', 'AQEBAQEBAQ=='), 'the salt is 7 bytes; at least 8'],
    ['a hash of 15 bytes', hash('1024$8$1', undefined, 'AgICAgICAgICAgICAgIC'), 'the hash is 15 bytes; at least 16'],
    ['a hash of no bytes (every password would match it)', hash('1024$8$1', undefined, 'A'), 'the hash is 0 bytes; at least 16'],
  ];
  for (const [name, stored, want] of cases) it(`${name}: ${want ?? 'usable'}`, () => expect(hashProblem(stored)).toBe(want));
});

describe('hashPassword', () => {
  it('writes N 16384, r 8, p 1, a 16-byte salt of its own and a 32-byte hash, which verifies', async () => {
    const [one, two] = await Promise.all([hashPassword('wonderland'), hashPassword('wonderland')]);
    const [scheme, n, r, p, salt, hash] = one.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect([Buffer.from(salt!, 'base64').length, Buffer.from(hash!, 'base64').length]).toEqual([16, 32]);
    expect(two.split('$')[4]).not.toBe(salt);
    expect(await checkPassword('wonderland', one)).toBe(true);
  });
});

describe('checkPassword', () => {
  // N is small to keep the test cheap; r and p have two digits (the stored format allows any).
  it('a hash with other parameters (N 16, r 16, p 10) verifies with its own parameters', async () => {
    const stored = storedHash('wonderland', 16, 16, 10);
    expect(await checkPassword('wonderland', stored)).toBe(true);
    expect(await checkPassword('wonderlant', stored)).toBe(false);
  });

  const salt = Buffer.alloc(16, 1).toString('base64');
  const malformed: [string, string][] = [
    ['not a hash', 'not a hash'],
    ['empty', ''],
    ['a hash without its salt and hash parts', 'scrypt$1024$8$1$$'],
    ['N not a power of two', `scrypt$1000$8$1$${salt}$${Buffer.alloc(32).toString('base64')}`],
    ['more memory than a check may use', `scrypt$131072$8$1$${salt}$${Buffer.alloc(32).toString('base64')}`],
    // "A" decodes to no bytes: scrypt would make an empty key, and every password would match it.
    ['a hash of no bytes', `scrypt$16$8$1$${salt}$A`],
  ];
  for (const [name, stored] of malformed) {
    it(`a malformed stored hash never verifies (${name})`, async () => expect(await checkPassword('', stored)).toBe(false));
  }

  // A call scrypt refuses leaves its error in OpenSSL's queue (Node 20 and 24), where the next key
  // parse in the process finds it and fails: a service account's key, a trusted issuer's.
  it('a hash scrypt would refuse never reaches it: the next key parse still works', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(await checkPassword('x', `scrypt$131072$8$1$${salt}$${Buffer.alloc(32).toString('base64')}`)).toBe(false);
    expect(createPrivateKey(pem).asymmetricKeyType).toBe('ec');
  });

  it('the dummy hash for unknown users is a hash of the same parameters as hashPassword (it costs what a real check costs)', () => {
    expect(isPasswordHash(DUMMY_HASH)).toBe(true);
    expect(DUMMY_HASH.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
  });
});

describe('dummyHash(like): the parameters and key length of a stored hash, a password of none', () => {
  const cases: [string, string, string[], number][] = [
    ['N 16, r 8, p 1', storedHash('x', 16, 8, 1), ['scrypt', '16', '8', '1'], 32],
    ['other r and p', storedHash('x', 16, 16, 10), ['scrypt', '16', '16', '10'], 32],
    ['a 64-byte key', `scrypt$1024$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64, 2).toString('base64')}`, ['scrypt', '1024', '8', '1'], 64],
    ['not a hash: hashPassword\'s', 'hunter2', ['scrypt', '16384', '8', '1'], 32],
  ];
  for (const [name, like, params, keyLength] of cases) {
    it(name, async () => {
      const dummy = dummyHash(like);
      expect(isPasswordHash(dummy)).toBe(true);
      expect(dummy.split('$').slice(0, 4)).toEqual(params);
      expect(Buffer.from(dummy.split('$')[5]!, 'base64')).toHaveLength(keyLength);
      if (params[1] !== '16384') expect(await checkPassword('x', dummy)).toBe(false);
    });
  }
  it('without a hash to follow, it is DUMMY_HASH', () => expect(dummyHash()).toBe(DUMMY_HASH));
});

describe('hashCost: N·r·p, 0 for a text that is not a hash', () => {
  const cases: [string, string, number][] = [
    ['N 16384, r 8, p 1', DUMMY_HASH, 131072],
    ['N 16, r 16, p 10', dummyHash(storedHash('x', 16, 16, 10)), 2560],
    ['not a hash', 'hunter2', 0],
  ];
  for (const [name, stored, cost] of cases) it(name, () => expect(hashCost(stored)).toBe(cost));
});
