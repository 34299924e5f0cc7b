// The trusted keys as loadTrustedIssuers makes them (authn/trusted-keys.ts): what a static key and a
// remote issuer carry from their entry (issuer, audience), which entries are refused and why (with
// the cause kept), and the one algorithm each key type may verify. Written for what mutation testing
// found unchecked (TESTING.md); verifier-edges.test.ts and remote-jwks.test.ts check tokens with them.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthnError, loadTrustedIssuers, staticKeyFromPem } from '../../authn/index.js';
import { writeSigningKey } from '../support/premade-authn.js';

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let dir: string;
let keyFile: string;
let rsa: KeyObject;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-trusted-keys-'));
  keyFile = join(dir, 'issuer.pem');
  await writeFile(keyFile, pem(ec.publicKey));
  // The worker's shared RSA test key (generating one costs up to half a second).
  await writeSigningKey(join(dir, 'rsa.pem'));
  rsa = createPublicKey(await readFile(join(dir, 'rsa.pem'), 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadTrustedIssuers: what each entry makes', () => {
  it('a static key carries its entry\'s issuer and audience, bound to its algorithm', async () => {
    const { staticKeys, remote } = await loadTrustedIssuers([{ publicKey: keyFile, issuer: 'https://idp.example/', audience: 'gatehouse' }]);
    expect(remote).toEqual([]);
    expect(staticKeys.map((k) => [k.alg, k.issuer, k.audience, k.source])).toEqual([
      ['ES256', 'https://idp.example/', 'gatehouse', `authn.trust[0].publicKey (${keyFile})`],
    ]);
  });

  it('a static key without issuer or audience has neither', async () => {
    const { staticKeys } = await loadTrustedIssuers([{ publicKey: keyFile }]);
    expect(staticKeys.map((k) => [k.issuer, k.audience])).toEqual([[undefined, undefined]]);
  });

  it('a remote issuer (https or http) carries its issuer, audience and URL; no key is fetched yet', async () => {
    const { staticKeys, remote } = await loadTrustedIssuers([
      { jwks: 'https://idp.example/jwks.json', issuer: 'https://idp.example/', audience: 'gatehouse' },
      { jwks: 'http://127.0.0.1:1/jwks.json', issuer: 'local' },
    ]);
    expect(staticKeys).toEqual([]);
    expect(remote.map((r) => [r.issuer, r.audience, r.url, typeof r.keys])).toEqual([
      ['https://idp.example/', 'gatehouse', 'https://idp.example/jwks.json', 'function'],
      ['local', undefined, 'http://127.0.0.1:1/jwks.json', 'function'],
    ]);
  });

  it('an entry with neither a key nor a JWKS URL trusts nothing', async () => {
    expect(await loadTrustedIssuers([{ issuer: 'nobody' }])).toEqual({ staticKeys: [], remote: [] });
  });
});

describe('loadTrustedIssuers: refusals keep their cause', () => {
  // DIR: the test's temporary directory (known only once the tests run).
  const cases: { name: string; entry: () => Record<string, string>; message: string; cause: boolean }[] = [
    {
      name: 'a key file that cannot be read',
      entry: () => ({ publicKey: join(dir, 'missing.pem') }),
      message: 'authn.trust[0].publicKey: cannot read DIR/missing.pem: ENOENT',
      cause: true,
    },
    {
      name: 'a JWKS that is not a URL',
      entry: () => ({ jwks: 'not a url', issuer: 'x' }),
      message: 'authn.trust[0].jwks: "not a url" is not a URL',
      cause: true,
    },
    {
      name: 'a JWKS URL of another scheme',
      entry: () => ({ jwks: 'ftp://idp.example/jwks.json', issuer: 'x' }),
      message: 'authn.trust[0].jwks: ftp: URLs are not supported (https or http)',
      cause: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const error = (await loadTrustedIssuers([c.entry()]).catch((e: unknown) => e)) as AuthnError;
      expect([error.code, error.message, error.cause instanceof Error]).toEqual(['ERR_AUTHN_KEY_FILE', c.message.replace('DIR', dir), c.cause]);
    });
  }

  it('not a PEM: the cause kept', async () => {
    const error = (await staticKeyFromPem('hello', 'k.pem').catch((e: unknown) => e)) as AuthnError;
    expect([error.message, error.cause instanceof Error]).toEqual(['k.pem: not a PEM public key', true]);
  });
});

describe('algorithmOf: the one algorithm a key type may verify', () => {
  const cases: [string, () => KeyObject, string][] = [
    ['RSA of 2048 bits: RS256', () => rsa, 'RS256'],
    ['EC P-256: ES256', () => ec.publicKey, 'ES256'],
    ['Ed25519: EdDSA', () => generateKeyPairSync('ed25519').publicKey, 'EdDSA'],
    ['Ed448: refused, no curve to name', () => generateKeyPairSync('ed448').publicKey, 'k.pem: unsupported key type ed448; use RSA, EC P-256 or Ed25519'],
    [
      'EC P-384: refused, its curve named',
      () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
      'k.pem: unsupported key type ec (secp384r1); use RSA, EC P-256 or Ed25519',
    ],
  ];
  for (const [name, key, want] of cases) {
    it(name, async () => {
      const result = await staticKeyFromPem(pem(key()), 'k.pem').then((k) => k.alg as string, (e: AuthnError) => e.message);
      expect(result).toBe(want);
    });
  }
});
