// Copies what the built code reads at run time into dist/ (rolldown writes only the bundled code): the
// operator API's .proto files, found there by core/package-files.ts (assetFile).
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['cluster/local/api/proto']) {
  cpSync(`${root}${dir}`, `${root}dist/${dir}`, { recursive: true });
}
