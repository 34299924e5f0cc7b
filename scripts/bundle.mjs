// Bundles the sources into dist/ with rolldown (rolldown.config.mjs says what and how), in one line of
// output instead of the rolldown CLI's table of every chunk.
import { build } from 'rolldown';
import configs from '../rolldown.config.mjs';

const started = performance.now();
// In order: the first cleans dist/, the next write beside it.
const chunks = [];
for (const config of configs) chunks.push(...(await build(config)).output.filter((file) => file.type === 'chunk'));
const entries = chunks.filter((chunk) => chunk.isEntry).length;
const kb = Math.round(chunks.reduce((sum, chunk) => sum + chunk.code.length, 0) / 1024);
console.log(`bundled ${entries} entries into ${chunks.length} files (${kb} kB) in dist/ in ${Math.round(performance.now() - started)} ms`);
