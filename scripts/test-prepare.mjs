// What `npm test` does before vitest: the type check (tsc, incremental, no output files) and an up-to-date
// dist/ (scripts/dist.mjs --if-changed), side by side: neither reads what the other writes. Each one's
// output is printed whole when it ends; the first failure's exit code ends the run.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// typescript's exports do not name bin/tsc: found beside its main module (lib/typescript.js).
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript')), '..', 'bin', 'tsc');

const TASKS = [
  ['type check', [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tsc/test.tsbuildinfo']],
  ['dist/', ['scripts/dist.mjs', '--if-changed']],
];

function run([name, args]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${name}: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      process.stdout.write(Buffer.concat(output));
      if (code !== 0) process.stderr.write(`${name} failed (${signal ?? `exit code ${code}`})\n`);
      resolve(code ?? 1);
    });
  });
}

const codes = await Promise.all(TASKS.map(run));
process.exitCode = codes.find((code) => code !== 0) ?? 0;
