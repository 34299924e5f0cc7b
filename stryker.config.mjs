// Mutation testing of the modules where a silent break is a security or data-loss bug: `npm run
// mutate` (all of them, about an hour on two cores) or `MUTATE=gateway/normalize-path.ts npm run
// mutate` (one module). Not part of CI: too slow for it. Scores and surviving mutants: TESTING.md.
const modules = [
  'authn/compact-jws.ts',
  'authn/verifier.ts',
  'authn/token-extraction.ts',
  'authn/policy.ts',
  'authn/login-limiter.ts',
  'authn/login.ts',
  'authn/password-hash.ts',
  'authn/signing-key.ts',
  'authn/trusted-keys.ts',
  'gateway/normalize-path.ts',
  'gateway/request-rules.ts',
  'gateway/builtin-routes.ts',
  'gateway/pipeline.ts',
  'gateway/route-table.ts',
  'gateway/service-resolver.ts',
  'dns/server/answer-sections.ts',
  'dns/server/answer-table.ts',
  'dns/records/record-set-builder.ts',
  'dns/records/labels.ts',
  'dns/records/ip-address.ts',
  'dns/records/from-snapshot.ts',
  'dns/records/publisher.ts',
  'dns/records/thisdcos.ts',
  'cluster/store.ts',
  // Where a VIP's connection goes: a silent break sends clients to a backend that just failed them.
  'mesh/backends.ts',
];

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: process.env.MUTATE ? process.env.MUTATE.split(',') : modules,
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  // Stryker rewrites this file's outside paths with TypeScript's JS API, which TypeScript 7 no longer
  // has; tsconfig.json has no extends or references to rewrite, so point it at a file that is not there.
  tsconfigFile: 'tsconfig.no-rewrite.json',
  ignorePatterns: ['dist', '.gatehouse', 'reports', 'bench/results', 'node_modules'],
  cleanTempDir: 'always',
};
