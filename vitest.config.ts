import { defineConfig } from 'vitest/config';
import EndToEndFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The environment the run's processes inherit (no NODE_EXTRA_CA_CERTS: its cost at every Node start); a temp
    // directory per run, which the run fails if a test leaves anything in; the RSA keys tests use.
    globalSetup: ['test/support/child-env-setup.ts', 'test/support/temp-dir-guard.ts', 'test/support/rsa-keys-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores, six test files at a time: an end-to-end file spends much of its time waiting on the
    // processes it started, and the other files fill that time. With four, the cores were idle for ~10% of
    // the run (sampled each second); with six, ~1%. TESTING.md has the times on this project's 2-core machine.
    maxWorkers: 6,
    // A worker process runs file after file without re-importing the modules they share: a fresh
    // module graph per file cost ~0.6 s of CPU per file (77 files), measured on the 2-core machine.
    // No test mocks modules or changes process-wide state, and every file still runs alone.
    isolate: false,
    sequence: { sequencer: EndToEndFirst },
    // vitest keeps what it made of each module (TypeScript stripped, imports rewritten) in
    // node_modules/.experimental-vitest-cache, keyed by the file's content, and a later run reads it back
    // instead of transforming again: vitest's main process took 3.6 instead of 7.5 CPU-s, its workers
    // 43.7 instead of 47.4 (one run each, 2-core machine). A clean clone's first run fills it.
    experimental: { fsModuleCache: true },
  },
});
