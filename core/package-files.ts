// Where Gatehouse's own files are at run time: the process entries a pool forks, the validators the build
// generated, the .proto files. The build bundles the modules into a few chunks (rolldown.config.mjs), so a
// module's folder at run time says nothing about where its source file was: no module finds a file
// relative to itself, they all ask here. The root is the nearest folder up holding Gatehouse's
// package.json: the checkout's root from the TypeScript sources (the tests) and from dist/ alike.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from './errors.js';

/** Running the TypeScript sources (vitest), not the build. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

interface Manifest {
  readonly root: string;
  readonly version: string;
}

function findManifest(): Manifest {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gatehouse') return { root: dir, version: pkg.version ?? 'dev' };
    } catch {
      // none here (or not readable): look further up
    }
    if (dirname(dir) === dir) {
      throw new GatehouseError('ERR_PACKAGE_ROOT', `no package.json of gatehouse in ${start} or above it: keep dist/ inside the package`);
    }
  }
}

const MANIFEST = findManifest();

/** The folder of Gatehouse's package.json (the checkout, or where npm installed it). */
export const PACKAGE_ROOT = MANIFEST.root;

/** The version in package.json. */
export const PACKAGE_VERSION = MANIFEST.version;

/** A file the build writes (`dist/…`): process entries and generated validators, from the sources and the build alike. */
export function builtFile(path: string): string {
  return join(PACKAGE_ROOT, 'dist', path);
}

/** A file shipped beside the code (`cluster/local/api/proto/…`): the source tree's from the sources, the build's copy in dist/ otherwise. */
export function assetFile(path: string): string {
  return FROM_SOURCES ? join(PACKAGE_ROOT, path) : builtFile(path);
}

/** The packages a process loads on first use, never at its start (rolldown.config.mjs bundles each into one file). */
export type LazyPackage = 'yaml' | 'protobufjs' | 'undici' | 'pino-pretty';

const requireHere = createRequire(import.meta.url);

/**
 * A package loaded when first needed, synchronously: from the build, its one-file bundle
 * (dist/vendor/NAME.cjs: one file read instead of the package's 30-110 modules); from the sources, the package.
 */
export function requirePackage<T>(name: LazyPackage): T {
  return requireHere(FROM_SOURCES ? name : builtFile(`vendor/${name}.cjs`)) as T;
}
