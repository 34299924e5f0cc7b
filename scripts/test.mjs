// `npm test`: an up-to-date dist/ first (scripts/dist.mjs --if-changed: the end-to-end tests run the built
// binary), then vitest and the type check (tsc, incremental, no output files) at the same time: vitest's
// first second leaves a core idle, which the type check fills. vitest writes to the terminal as it goes;
// the type check's output is printed whole after vitest ends. Arguments go to vitest (`npm test --
// test/dns`). The exit code is vitest's, or the type check's when vitest passed.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSC, VITEST } from './tool-paths.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const children = new Set();
let interrupted = false;
// A signal to this process alone (a CI job's timeout) reaches the children too; Ctrl-C reaches the
// whole foreground group anyway, and a second copy of SIGINT does vitest no harm.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = true;
    for (const child of children) child.kill(signal);
  });
}

/**
 * An interrupted vitest ends without its teardown, and its run's temp directory stays (named with its
 * PID by test/support/temp-dir-guard.ts, which also removes such directories at the next run's start).
 */
function removeRunDirectory(vitestPid) {
  for (const parent of new Set([process.env.TMPDIR, '/dev/shm', tmpdir()].filter(Boolean))) {
    let names = [];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.startsWith(`gatehouse-test-run-${vitestPid}-`))) {
      rmSync(join(parent, name), { recursive: true, force: true });
      process.stdout.write(`removed ${join(parent, name)}: the run was interrupted\n`);
    }
  }
}

/** Runs node with `args`; resolves to its exit code, its PID and, unless `inherit`, its output. */
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
      resolve({ code: code ?? 1, pid: child.pid, output: Buffer.concat(output) });
    });
  });
}

const dist = await run('dist/', ['scripts/dist.mjs', '--if-changed'], false);
process.stdout.write(dist.output);
if (dist.code !== 0) process.exit(dist.code);

const typeCheck = run('type check', [TSC, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tsc/test.tsbuildinfo'], false);
const tests = await run('vitest', [VITEST, 'run', ...process.argv.slice(2)], true);
if (interrupted && tests.pid) removeRunDirectory(tests.pid);
const checked = await typeCheck;
process.stdout.write(checked.output);
process.exitCode = tests.code !== 0 ? tests.code : checked.code;
