// The build of dist/: the TypeScript sources bundled by rolldown (`npm run build` type-checks, runs this
// config through scripts/bundle.mjs, then copies the assets and compiles the schemas). Unbundled, the
// primary of a `gatehouse run` loaded 464 files at start (our modules and the packages'), each opened,
// resolved and compiled on its own, and each gateway worker 305; bundled, 39 and 21. Measured in
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
  'cli/dns-zone', 'cli/crash-policy', 'cli/logger', 'cli/stop-signal', 'cli/heap-limits', 'cluster/http-client',
  // bin/gatehouse maps the stack of a CLI that fails to load with it (the CLI's own chunks may be what failed).
  'core/stack-traces',
];

/**
 * Packages a process loads on first use, synchronously (core/package-files.ts, requirePackage): each is
 * bundled on its own into dist/vendor/NAME.cjs, one file instead of its 30-110 modules. A static import
 * of one would load it in every process at start (and a second copy beside the vendored one): the
 * build refuses it.
 */
const LAZY_PACKAGES = ['yaml', 'protobufjs', 'undici', 'pino-pretty'];
/** A lazy package bundled from an entry of ours (the part of it Gatehouse uses), not from its index. */
const VENDOR_ENTRIES = { undici: './scripts/vendor/undici.cjs' };
/** Loaded by core/stack-traces.ts when a stack trace is first printed: dist/vendor/trace-mapping.cjs. */
const VENDORED_BY_NAME = { 'trace-mapping': '@jridgewell/trace-mapping' };

const noStaticImportOfLazyPackages = {
  name: 'no-static-import-of-lazy-packages',
  resolveId(source, importer) {
    if (LAZY_PACKAGES.includes(source) && importer && !importer.includes('/node_modules/')) {
      throw new Error(`${importer} imports ${source}: load it on first use with requirePackage('${source}') (core/package-files.ts)`);
    }
    return null;
  },
};

const shared = {
  cwd: ROOT,
  platform: 'node',
  tsconfig: './tsconfig.build.json',
};

// Stack traces name the .ts (and the packages' .js) files through these maps, read when a trace is
// printed (core/stack-traces.ts). The maps hold no copy of the sources.
const maps = { sourcemap: true, sourcemapExcludeSources: true };
// ASCII-only output: one non-ASCII character (a '→' in a comment or a string) makes Node decode the
// whole file into a two-byte string, which V8 scans more slowly and keeps (twice the bytes) for as long
// as the process runs. JSDoc comments are dropped (the sources have them); licences and annotations stay.
const ascii = { charset: 'ascii', comments: { legal: true, annotation: true, jsdoc: false } };

export default defineConfig([
  {
    ...shared,
    input: Object.fromEntries([...PROCESSES, ...MODULES].map((name) => [name, `./${name}.ts`])),
    external: [/^node:/],
    plugins: [noStaticImportOfLazyPackages],
    output: {
      ...maps,
      ...ascii,
      dir: `${ROOT}dist`,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      // Error classes name themselves with new.target.name: two modules' classes of one name must not become `Name$1`.
      keepNames: true,
      cleanDir: true,
    },
  },
  {
    ...shared,
    input: { ...Object.fromEntries(LAZY_PACKAGES.map((name) => [name, VENDOR_ENTRIES[name] ?? name])), ...VENDORED_BY_NAME },
    external: [/^node:/],
    output: {
      ...maps,
      ...ascii,
      dir: `${ROOT}dist/vendor`,
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: '[name]-[hash].cjs',
      keepNames: true,
    },
  },
]);
