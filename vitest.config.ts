import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores: real servers on real sockets, keep the pool small so timings stay sane.
    maxWorkers: 2,
  },
});
