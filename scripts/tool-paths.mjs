// The command-line entry points of the test tools, for scripts that run them with this Node
// (process.execPath) rather than through npx. Neither package's exports name its command: each is
// found beside a module it does export.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const TSC = join(dirname(require.resolve('typescript')), '..', 'bin', 'tsc');
export const VITEST = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
