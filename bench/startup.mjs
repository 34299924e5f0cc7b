// CPU spent starting Gatehouse: `gatehouse validate`, and `gatehouse run` on the embedded cluster with 1
// and 2 gateway workers, each in a fresh directory (a first start: signing key and admin password
// created, as in every end-to-end test) and once more in the same directory (a restart, as operators do).
//
//   npm run build && node bench/startup.mjs [--runs 7] [--node /path/to/node] [--baseline DIR] [--compare-cache]
//
// Per start: user + system CPU of the whole process tree from start to exit (GNU time, which counts the
// workers the primary reaped), and at "gatehouse is running" each process's own from /proc. One start
// of each case is run first and not counted: it fills Node's module compile cache (Node >= 22.1), which
// lives in this run's temp dir.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchRun, cpuMs, embeddedConfig, execFileAsync, median, printed, requireTools, root, stop } from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option('runs', '7'));
const node = option('node', process.execPath);
const baseline = option('baseline', null);
// --compare-cache: this checkout once more with NODE_DISABLE_COMPILE_CACHE=1, to see what the cache saves.
const compareCache = args.includes('--compare-cache');
requireTools(['/usr/bin/time'], 'apt-get install -y time');

const run = benchRun('gatehouse-bench-startup-');
const env = { ...process.env, LOG_FORMAT: 'json', NODE_COMPILE_CACHE: join(run.dir, 'compile-cache') };

const freshConfig = (name, workers) => embeddedConfig(run.dir, name, { workers, ports: '21500-21549', dnsHttp: true });


function childPids(pid) {
  const found = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    found.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return found;
}

const isNode = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === node;
  } catch {
    return false;
  }
};

const timed = (timeFile, command) => ['-f', '%U %S', '-o', timeFile, ...command];
const totalMs = (timeFile) => {
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return Math.round((user + sys) * 1000);
};

async function validateOnce({ checkout, env }, config) {
  const timeFile = join(run.dir, 'time.txt');
  await execFileAsync('/usr/bin/time', timed(timeFile, [node, join(checkout, 'bin/gatehouse'), 'validate', '--config', config]), { env });
  return { total: totalMs(timeFile) };
}

async function runOnce({ checkout, env }, config) {
  const timeFile = join(run.dir, 'time.txt');
  const child = run.start('/usr/bin/time', timed(timeFile, [node, join(checkout, 'bin/gatehouse'), 'run', '--config', config]), { env });
  await printed(child, 'gatehouse run', '"gatehouse is running"', 30_000);
  const primary = childPids(child.pid).find(isNode);
  const workers = childPids(primary).filter(isNode);
  const atReady = { primary: cpuMs(primary), workers: workers.map(cpuMs) };
  process.kill(primary, 'SIGTERM');
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  await stop(child);
  return { total: totalMs(timeFile), primary: atReady.primary, worker: workers.length ? median(atReady.workers) : null };
}

const CASES = [
  { name: 'validate', workers: 1, fresh: false, once: validateOnce },
  { name: 'run, 1 worker, first start', workers: 1, fresh: true, once: runOnce },
  { name: 'run, 2 workers, first start', workers: 2, fresh: true, once: runOnce },
  { name: 'run, 2 workers, restart', workers: 2, fresh: false, once: runOnce },
];

const targets = [
  { name: 'gatehouse', checkout: root, env },
  ...(baseline ? [{ name: 'baseline', checkout: baseline, env }] : []),
  ...(compareCache ? [{ name: 'gatehouse, no compile cache', checkout: root, env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } }] : []),
];
const { stdout: version } = await execFileAsync(node, ['--version']);
console.log(`node ${version.trim()}, ${runs} starts per case (median), CPU ms user+sys`);
console.log('| target | case | total CPU ms per start (start to exit) | primary at ready | each worker at ready | totals |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const testCase of CASES) {
  // Targets alternate start by start: the machine's speed drifts, so a before/after compares within a case.
  const results = new Map(targets.map((target) => [target, []]));
  const configs = new Map(targets.map((target) => [target, freshConfig(`${target.name}-${testCase.workers}`, testCase.workers)]));
  for (const target of targets) {
    // The uncounted start: compile cache filled, and for `restart` and `validate` the key and users made.
    if (testCase.name === 'validate') await runOnce(target, configs.get(target));
    await testCase.once(target, configs.get(target));
  }
  for (let i = 0; i < runs; i++) {
    for (const target of targets) {
      if (testCase.fresh) configs.set(target, freshConfig(`${target.name}-${testCase.workers}`, testCase.workers));
      results.get(target).push(await testCase.once(target, configs.get(target)));
    }
  }
  for (const target of targets) {
    const list = results.get(target);
    const of = (key) => (list[0][key] === undefined || list[0][key] === null ? '' : String(median(list.map((r) => r[key]))));
    console.log(`| ${target.name} | ${testCase.name} | ${of('total')} | ${of('primary')} | ${of('worker')} | ${list.map((r) => r.total).join(', ')} |`);
  }
}
