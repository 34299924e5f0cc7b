import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temp directory per run; the run fails if a test leaves anything in it.
    globalSetup: ['test/support/temp-dir-guard.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores: real servers on real sockets, keep the pool small so timings stay sane.
    maxWorkers: 2,
  },
});
