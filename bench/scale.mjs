// Scale curve: `gatehouse run` (file source, DNS and the gateway on) at growing task counts. Per count:
// RSS of the primary once settled (gateway workers serve its snapshot, every process's RSS still for
// a second), after a rebuild and --later seconds after it, its peak RSS (VmHWM: the parse of the state
// included), the RSS of its worker processes (settled, and after a rebuild), the time from a state change to the rebuilt DNS records, and DNS queries/s.
//   npm run build && node bench/scale.mjs [--tasks 1000,10000,50000] [--seconds 5] [--later 20] [--dns-workers 1] [--gateway-workers 1] [--root DIR]
// Needs dnsperf (apt-get install -y dnsperf). Everything listens on 127.0.0.1 and stops by itself.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, renameSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generateState } from './gen-state.mjs';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000,10000,50000' },
    seconds: { type: 'string', default: '5' },
    // The primary's RSS once more this long after the rebuild (its heap compaction, V8's memory reducer).
    later: { type: 'string', default: '20' },
    'dns-workers': { type: 'string', default: '1' },
    'gateway-workers': { type: 'string', default: '1' },
    node: { type: 'string', default: process.execPath },
    // Another built checkout of Gatehouse to measure instead of this one (a before/after comparison).
    root: { type: 'string' },
  },
});
const root = values.root ?? new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'dist/cli/main.js'))) { console.error('dist/ is missing: npm run build'); process.exit(2); }
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
const children = new Set();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let nextPort = 21200 + Math.floor(Math.random() * 90);

const statusOf = (pid) => { try { return readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return ''; } };
const kb = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(statusOf(pid))?.[1] ?? NaN);
const mb = (k) => Math.round(k / 1024);
const childrenOf = (pid) => { try { return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number); } catch { return []; } };

/**
 * Waits until the RSS of `pid` and its children holds still (within 2 MB over a second, at most 20 s):
 * gateway workers are forked after the first records and rebuild the snapshot they are sent, which
 * on a busy machine still runs 3 s after the primary's records.
 */
async function settled(pid) {
  const sample = () => [pid, ...childrenOf(pid)].map((p) => kb(p, 'VmRSS'));
  let last = sample();
  for (let waited = 0; waited < 20_000; waited += 1000) {
    await sleep(1000);
    const now = sample();
    if (now.length === last.length && now.every((k, i) => Math.abs(k - last[i]) < 2048)) return;
    last = now;
  }
}

/** Until every gateway worker serves the primary's snapshot (`converged` in /gatehouse/v1/status), at most 60 s. */
async function workersConverged(port, token) {
  if (values['gateway-workers'] === '1') return;
  for (let waited = 0; waited < 60_000; waited += 250) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/gatehouse/v1/status`, { headers: { authorization: `token=${token}` } });
      if (res.ok && (await res.json()).converged === true) return;
    } catch { /* a worker still starting */ }
    await sleep(250);
  }
  throw new Error('the gateway workers did not converge on the snapshot within 60 s');
}

function writeState(path, doc) {
  writeFileSync(`${path}.next`, JSON.stringify(doc));
  renameSync(`${path}.next`, path);
}

async function run(tasks) {
  const statePath = join(dir, `state-${tasks}.json`);
  const doc = generateState(tasks);
  writeState(statePath, doc);
  const stateMb = +(readFileSync(statePath).length / 1048576).toFixed(1);
  const dnsPort = nextPort++;
  const gatewayPort = nextPort++;
  const config = join(dir, `gatehouse-${tasks}.yaml`);
  writeFileSync(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(statePath)} }`,
    'dns:', `  listen: 127.0.0.1:${dnsPort}`, '  http: ""', ...(values['dns-workers'] === '1' ? [] : [`  workers: ${values['dns-workers']}`]),
    'gateway:', `  listen: 127.0.0.1:${gatewayPort}`, `  workers: ${values['gateway-workers']}`, `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing.key'))}`, `  users: ${JSON.stringify(join(dir, 'users.json'))}`,
    'mesh: { enabled: false }', 'log: { level: info }', '',
  ].join('\n'));
  mkdirSync(join(dir, 'routes.d'), { recursive: true });
  const child = spawn(values.node, [join(root, 'bin/gatehouse'), 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_FORMAT: 'json' } });
  children.add(child);
  const lines = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (text) => {
    try { lines.push({ at: performance.now(), ...JSON.parse(text) }); } catch { /* not JSON */ }
    for (const wake of waiters) wake();
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.once('exit', (code) => { exited = code; for (const wake of waiters) wake(); });
  const waitLog = (pred, timeoutMs = 300_000) => new Promise((resolve, reject) => {
    const check = () => {
      const found = lines.find(pred);
      if (found || exited !== null) { waiters.delete(check); clearTimeout(timer); }
      if (found) resolve(found);
      else if (exited !== null) reject(new Error(`gatehouse exited with ${exited}: ${stderr.slice(-500)}`));
    };
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timeout; last lines: ${lines.slice(-3).map((l) => l.msg)}`)); }, timeoutMs);
    waiters.add(check);
    check();
  });
  const started = performance.now();
  await waitLog((l) => l.msg === 'gatehouse is running');
  const first = await waitLog((l) => l.msg === 'DNS records rebuilt');
  const startMs = Math.round(first.at - started);
  const token = execFileSync(values.node, [join(root, 'bin/gatehouse'), 'token', '--uid', 'bench', '--config', config]).toString().trim();
  await workersConverged(gatewayPort, token);
  await sleep(3000);
  await settled(child.pid);
  const settledKb = kb(child.pid, 'VmRSS');
  const workers = childrenOf(child.pid).map((pid) => mb(kb(pid, 'VmRSS'))).filter((n) => !Number.isNaN(n));
  // A rebuild: one app more, the whole state re-read, parsed, records and answers rebuilt.
  const generation = first.generation;
  doc.frameworks[0].tasks.push({ ...doc.frameworks[0].tasks[0], id: 'scale-extra.1', name: 'scale-extra', discovery: undefined });
  const changedAt = performance.now();
  writeState(statePath, doc);
  const rebuilt = await waitLog((l) => l.msg === 'DNS records rebuilt' && l.generation > generation);
  const rebuildMs = Math.round(rebuilt.at - changedAt);
  await workersConverged(gatewayPort, token);
  await sleep(1500);
  await settled(child.pid);
  const afterRebuildKb = kb(child.pid, 'VmRSS');
  const workersAfterRebuild = childrenOf(child.pid).map((pid) => mb(kb(pid, 'VmRSS'))).filter((n) => !Number.isNaN(n));
  await sleep(Math.max(0, Number(values.later) * 1000 - (performance.now() - changedAt)));
  const laterKb = kb(child.pid, 'VmRSS');
  // Read last: the peak includes whatever ran after the rebuild (a heap compaction copies what lives first).
  const peakKb = kb(child.pid, 'VmHWM');
  const queries = join(dir, `queries-${tasks}.txt`);
  const names = new Set(doc.frameworks[0].tasks.slice(0, 5000).map((t) => `${t.name}.marathon.mesos. A`));
  writeFileSync(queries, [...names, 'missing.marathon.mesos. A'].join('\n') + '\n');
  const out = execFileSync('dnsperf', ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', queries, '-l', values.seconds, '-c', '4', '-q', '200', '-t', '2']).toString();
  const qps = Math.round(Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN));
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return {
    tasks, stateMb, names: first.names, startMs, firstRecordsMs: first.ms, rebuildMs, rebuildRecordsMs: rebuilt.ms,
    rssMb: mb(settledKb), rssAfterRebuildMb: mb(afterRebuildKb), rssLaterMb: mb(laterKb), peakRssMb: mb(peakKb), workersRssMb: workers, workersAfterRebuildMb: workersAfterRebuild, qps, lost,
    load: loadavg().map((n) => n.toFixed(2)).join(' '),
  };
}

const results = [];
for (const tasks of values.tasks.split(',').map(Number)) {
  const r = await run(tasks);
  results.push(r);
  console.error(JSON.stringify(r));
}
console.log(`\nScale: ${values.root ? `${root}: ` : ''}gatehouse run, file source, DNS (workers ${values['dns-workers']}) and gateway (workers ${values['gateway-workers']}) on; node ${execFileSync(values.node, ['--version']).toString().trim()}\n`);
console.log(`| tasks | state | names | rebuild (change → records) | records build | RSS settled | RSS after a rebuild | ${values.later} s after | peak RSS | worker RSS | ` +
  'worker RSS after a rebuild | DNS q/s (lost) | load avg |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |');
for (const r of results)
  console.log(
    `| ${r.tasks.toLocaleString('en')} | ${r.stateMb} MB | ${r.names.toLocaleString('en')} | ${r.rebuildMs} ms | ${r.rebuildRecordsMs} ms | ${r.rssMb} MB | ${r.rssAfterRebuildMb} MB | ${r.rssLaterMb} MB | ` +
      `${r.peakRssMb} MB | ${r.workersRssMb.join(', ') || '—'} | ${r.workersAfterRebuildMb.join(', ') || '—'} | ${r.qps.toLocaleString('en')} (${r.lost}) | ${r.load} |`,
  );
