import { defineConfig } from 'vitest/config';
import EndToEndFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temp directory per run; the run fails if a test leaves anything in it.
    globalSetup: ['test/support/temp-dir-guard.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores, three test files at a time: an end-to-end file spends part of its time waiting on the
    // processes it started, and a third file fills that time (134-143 s against 153 s with two, quiet
    // machine, TESTING.md). More gains nothing on two cores and only squeezes the running ones.
    maxWorkers: 3,
    // A worker process runs file after file without re-importing the modules they share: a fresh
    // module graph per file cost ~0.6 s of CPU per file (77 files), measured on the 2-core machine.
    // No test mocks modules or changes process-wide state, and every file still runs alone.
    isolate: false,
    sequence: { sequencer: EndToEndFirst },
  },
});
