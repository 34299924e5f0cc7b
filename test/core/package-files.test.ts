// Where the package's files are, as the TypeScript sources (the tests) see it: the root is the checkout,
// the build's files are under dist/, the shipped assets are the source tree's own, and a lazy package is
// the package itself (the build's side: test/cli/bundle.test.ts and the end-to-end tests).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { PACKAGE_ROOT, PACKAGE_VERSION, assetFile, builtFile, requirePackage } from '../../core/index.js';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

describe('package files, from the sources', () => {
  test('the root is the checkout, the version package.json\'s', () => {
    expect(PACKAGE_ROOT).toBe(CHECKOUT);
    expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  const cases = [
    { name: 'a process entry is the build\'s', path: builtFile('cli/gateway-worker.js'), want: join(CHECKOUT, 'dist/cli/gateway-worker.js') },
    { name: 'the validators are the build\'s', path: builtFile('config/validators/'), want: join(CHECKOUT, 'dist/config/validators/') },
    { name: 'the .proto files are the source tree\'s', path: assetFile('cluster/local/api/proto/master.proto'), want: join(CHECKOUT, 'cluster/local/api/proto/master.proto') },
  ];
  test.each(cases)('$name', ({ path, want }) => {
    expect(path).toBe(want);
  });

  test('the proto files are where assetFile says', () => {
    expect(existsSync(assetFile('cluster/local/api/proto/master.proto'))).toBe(true);
  });

  test('a lazy package is the package itself', () => {
    expect(requirePackage<typeof import('yaml')>('yaml').parseDocument('a: 1').toJS()).toEqual({ a: 1 });
  });
});
