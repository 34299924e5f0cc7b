// The unit tests that guard the modules `npm run mutate` mutates. End-to-end tests are left out: they
// run the built binary (dist/), which a mutant of the TypeScript source never reaches, so they could
// only report false survivors.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // users.test.ts runs the built binary (`gatehouse token`, `user add`): not a unit test of a mutant.
    // The others read the config schemas' validators, compiled into dist/ at build time, which
    // Stryker's sandbox does not copy: they would fail its first run, and with it the whole run.
    exclude: [
      'test/authn/users.test.ts',
      'test/authn/service-accounts.test.ts',
      'test/authn/trust-config.test.ts',
      'test/gateway/admin-router-quirks.test.ts',
      'test/gateway/route-files.test.ts',
    ],
    // MUTATE_TESTS=a.test.ts,b.test.ts: only the tests that guard the mutated module (a bounded run on a shared machine).
    include: process.env['MUTATE_TESTS']?.split(',') ?? [
      'test/authn/**/*.test.ts',
      'test/gateway/**/*.test.ts',
      'test/dns/**/*.test.ts',
      'test/cluster/store.test.ts',
      'test/cluster/snapshot-view.test.ts',
      'test/core/**/*.test.ts',
    ],
    // The environment the tests' processes inherit (test/support/child-env-setup.ts); the RSA keys the tests use
    // (test/support/rsa-keys.ts), made once per run.
    globalSetup: ['test/support/child-env-setup.ts', 'test/support/rsa-keys-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    maxWorkers: 2,
  },
});
