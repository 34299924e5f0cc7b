// Builds dist/: the bundle (scripts/bundle.mjs), the assets (copy-assets.mjs), the compiled schemas
// (compile-schemas.mjs), then records a digest of everything the build read in dist/.inputs.sha256.
// `--if-changed` (what `npm test` runs) skips the build when dist/ already holds one of the same inputs:
// ~1 s saved per run. A build that fails half-way leaves no digest (rolldown empties dist/ first), so the
// next run builds again. `npm run bundle` (and `npm run build`) always build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIGEST_FILE = join(ROOT, 'dist', '.inputs.sha256');
// Every top-level folder but these is read as the build's input: the areas rolldown bundles from, `types/`,
// `scripts/`. A folder added later counts at once (a folder that is not an input costs a rebuild now and
// then; an input left out would leave dist/ stale). Hidden folders (.git, .gatehouse/, .stryker-tmp/) never count.
const NOT_INPUTS = new Set(['bench', 'bin', 'contrib', 'dist', 'node_modules', 'reports', 'test']);
const INPUT_DIRS = readdirSync(ROOT, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !NOT_INPUTS.has(entry.name))
  .map((entry) => entry.name);
const INPUT_FILES = ['package.json', 'package-lock.json', 'rolldown.config.mjs', 'tsconfig.json', 'tsconfig.build.json'];
// What the build reads in those folders: code, JSON and the operator API's .proto files. Not YAML:
// config/ also holds the shipped configs and what `npm start` writes there (users.yaml, apps.d/), which
// would make every first start force a rebuild.
const INPUT_EXTENSIONS = /\.(?:[cm]?[jt]s|json|proto)$/;
const STEPS = ['bundle.mjs', 'copy-assets.mjs', 'compile-schemas.mjs'];

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && INPUT_EXTENSIONS.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** sha256 over each input's path and content, in a fixed order: a renamed, added or removed file changes it too. */
function inputsDigest() {
  const files = [...INPUT_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir))), ...INPUT_FILES.map((file) => join(ROOT, file))]
    .map((file) => relative(ROOT, file))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(ROOT, file))).update('\0');
  return hash.digest('hex');
}

const digest = inputsDigest();
if (process.argv.includes('--if-changed') && existsSync(DIGEST_FILE) && readFileSync(DIGEST_FILE, 'utf8').trim() === digest) {
  console.log('dist/ is up to date (its inputs are unchanged since it was built)');
  process.exit(0);
}
for (const step of STEPS) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', step)], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
writeFileSync(DIGEST_FILE, `${digest}\n`);
