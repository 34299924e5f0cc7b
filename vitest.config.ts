import { defineConfig } from 'vitest/config';
import EndToEndFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temp directory per run, which the run fails if a test leaves anything in; the RSA keys tests use.
    globalSetup: ['test/support/temp-dir-guard.ts', 'test/support/rsa-keys-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores, four test files at a time: an end-to-end file spends part of its time waiting on the
    // processes it started, and the other files fill that time. On this project's 2-core machine (Node 20,
    // TESTING.md): 82 s with three, 68-73 s with four, 71-72 s with five or six (the cores are busy).
    maxWorkers: 4,
    // A worker process runs file after file without re-importing the modules they share: a fresh
    // module graph per file cost ~0.6 s of CPU per file (77 files), measured on the 2-core machine.
    // No test mocks modules or changes process-wide state, and every file still runs alone.
    isolate: false,
    sequence: { sequencer: EndToEndFirst },
  },
});
