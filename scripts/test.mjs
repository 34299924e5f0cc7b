// `npm test`: an up-to-date dist/ first (scripts/dist.mjs --if-changed: the end-to-end tests run the built
// binary), then vitest and the type check (tsc, incremental, no output files) at the same time: vitest's
// first second leaves a core idle, which the type check fills. vitest writes to the terminal as it goes;
// the type check's output is printed whole after vitest ends. Arguments go to vitest (`npm test --
// test/dns`). The exit code is vitest's, or the type check's when vitest passed.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
// Neither package's exports name its command: each is found beside its main module.
const tsc = join(dirname(require.resolve('typescript')), '..', 'bin', 'tsc');
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');

const children = new Set();
// A signal to this process alone (a CI job's timeout) reaches the children too; Ctrl-C reaches the
// whole foreground group anyway, and a second copy of SIGINT does vitest no harm.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

/** Runs node with `args`; resolves to its exit code and, unless `inherit`, its output. */
function run(name, args, inherit) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${name}: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      children.delete(child);
      if (code !== 0) output.push(Buffer.from(`${name} failed (${signal ?? `exit code ${code}`})\n`));
      resolve({ code: code ?? 1, output: Buffer.concat(output) });
    });
  });
}

const dist = await run('dist/', ['scripts/dist.mjs', '--if-changed'], false);
process.stdout.write(dist.output);
if (dist.code !== 0) process.exit(dist.code);

const typeCheck = run('type check', [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tsc/test.tsbuildinfo'], false);
const tests = await run('vitest', [vitest, 'run', ...process.argv.slice(2)], true);
const checked = await typeCheck;
process.stdout.write(checked.output);
process.exitCode = tests.code !== 0 ? tests.code : checked.code;
