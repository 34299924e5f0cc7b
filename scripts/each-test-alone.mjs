// Checks the suite's rule that every test runs alone: each test of the given files (or folders) in a
// vitest run of its own (`-t` with its full name), with its file's hooks and nothing else. Slow (a
// run per test: ~2 s for a unit test, 3-5 s for one that starts the binary), so not part of `npm test`:
//   node scripts/each-test-alone.mjs test/e2e/gateway-workers.test.ts
//   node scripts/each-test-alone.mjs --jobs 2 test/e2e
// Prints one line per test that does not pass alone, then a count; exits 1 when there was one.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VITEST } from './tool-paths.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

const args = process.argv.slice(2);
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Number(args.splice(jobsAt, 2)[1]) : 1;
if (args.length === 0 || !(jobs >= 1)) {
  process.stderr.write('usage: node scripts/each-test-alone.mjs [--jobs N] <test file or folder>...\n');
  process.exit(2);
}

async function vitest(...vitestArgs) {
  // A failed run rejects with the same stdout and stderr: the summary line says what happened.
  const { stdout, stderr } = await run(process.execPath, [VITEST, ...vitestArgs], { cwd: ROOT, maxBuffer: 64 << 20 }).catch((error) => error);
  return `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const listed = JSON.parse((await vitest('list', ...args, '--json')).match(/^\[[\s\S]*\]\s*$/m)?.[0] ?? '[]');

/** Passes alone: exactly one test ran, and it passed. vitest's full name joins the describes with spaces. */
async function alone({ name, file }) {
  let summary = '';
  // A name with " > " of its own cannot be told from the joins: then its last 70 characters, anchored at the end.
  for (const pattern of [`^${escape(name.replaceAll(' > ', ' '))}$`, `${escape(name.split(' > ').at(-1).slice(-70))}$`]) {
    summary = /Tests\s+(.*)/.exec(await vitest('run', file, '-t', pattern))?.[1] ?? '(no summary)';
    if (/\b1 (passed|failed)/.test(summary)) break;
  }
  if (/failed/.test(summary) || !/^\d+ passed\b/.test(summary)) return `${file.replace(ROOT, '')} > ${name}: ${summary}`;
  // Cases of one table that share a name cannot be run one without the other: said, not counted.
  if (!/^1 passed\b/.test(summary)) process.stdout.write(`(${file.replace(ROOT, '')} > ${name}: its name is not unique, ${summary})\n`);
  return null;
}

// Jobs take whole files: two tests of one file never run at once. A file's tests share what the file
// holds for itself (its task port range, its VIP range, its network namespace's name), and two of them
// side by side reached each other's servers: failures that were not about running alone.
const byFile = new Map();
for (const test of listed) {
  if (!byFile.has(test.file)) byFile.set(test.file, []);
  byFile.get(test.file).push(test);
}
const files = [...byFile.values()];
const failures = [];
let next = 0;
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (next < files.length) {
      for (const test of files[next++]) {
        const failure = await alone(test);
        if (failure) {
          failures.push(failure);
          process.stdout.write(`${failure}\n`);
        }
      }
    }
  }),
);
process.stdout.write(`${listed.length} tests, ${failures.length} not passing alone\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
