// The build of dist/: the TypeScript sources bundled by rolldown (`npm run build` type-checks, runs this
// config through scripts/bundle.mjs, then copies the assets and compiles the schemas). A process used to load
// ~500 files at start (our ~230 modules and the packages'); opening, resolving and compiling them one by
// one was the largest part of a start's CPU. Bundled, a process loads a few dozen chunks. Measured in
// bench/README.md ("Start-up").
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'rolldown';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

/** What Gatehouse starts: the CLI (bin/gatehouse) and each process a pool forks (core/package-files.ts finds them). */
const PROCESSES = ['cli/main', 'cli/gateway-worker', 'cli/dns-worker', 'mesh/mesh-worker'];

/**
 * Modules that scripts, tests and benchmarks import from dist/ in a plain Node process (no TypeScript
 * there): scripts/compile-schemas.mjs reads the schemas the areas register, test/cli/ and
 * test/config/cgroup-limits.test.ts run single modules, bench/ drives the areas directly.
 */
const MODULES = [
  'config/index', 'config/schema-check', 'config/schema-formats', 'config/cgroup-limits',
  'authn/index', 'gateway/index', 'cluster/index', 'cluster/local/index', 'dns/index',
  'cli/dns-zone', 'cli/crash-policy', 'cli/logger', 'cli/stop-signal',
];

/**
 * Loaded at run time from node_modules, not bundled. Each is loaded on first use with
 * createRequire (a bundler copies such a call as it is, so those stay lazy), and yaml is also imported
 * by the embedded cluster: bundled there, a primary would hold two copies of it.
 */
const EXTERNAL = ['yaml', 'undici', 'protobufjs', 'pino-pretty'];

export default defineConfig({
  cwd: ROOT,
  input: Object.fromEntries([...PROCESSES, ...MODULES].map((name) => [name, `./${name}.ts`])),
  platform: 'node',
  tsconfig: './tsconfig.build.json',
  external: [/^node:/, ...EXTERNAL.map((name) => new RegExp(`^${name}(/|$)`))],
  output: {
    dir: `${ROOT}dist`,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    // Stack traces name the .ts files (bin/gatehouse turns source maps on); the maps hold no copy of the sources.
    sourcemap: true,
    sourcemapExcludeSources: true,
    // Error classes name themselves with new.target.name: two modules' classes of one name must not become `Name$1`.
    keepNames: true,
    cleanDir: true,
  },
});
