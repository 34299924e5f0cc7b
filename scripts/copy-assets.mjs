// Copies what the compiled code reads at run time beside it in dist/ (tsc copies only .ts output):
// the operator API's .proto files.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['cluster/local/api/proto']) {
  cpSync(`${root}${dir}`, `${root}dist/${dir}`, { recursive: true });
}
