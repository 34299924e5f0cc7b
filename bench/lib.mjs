// What every benchmark script needs: tools on PATH, a temp dir and child processes that go away with the
// run (however it ends), ports below the ephemeral range, waiting for a listener, and wrk's numbers.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The checkout the benchmarks run (its dist/ and bin/). */
export const root = new URL('..', import.meta.url).pathname;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const execFileAsync = promisify(execFile);
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The path of a command on PATH, or null. */
export function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`]).toString().trim() || null;
  } catch {
    return null;
  }
}

/** Exits with status 2 naming what to install when one of the tools is missing. */
export function requireTools(tools, install) {
  for (const tool of tools)
    if (!which(tool)) {
      console.error(`${tool} is missing: ${install}`);
      process.exit(2);
    }
}

/**
 * A run: its temp dir and the children started through it, all removed and stopped when the process
 * exits (also on Ctrl-C and SIGTERM). `stopSignal` SIGTERM by default: nginx's master stops its workers
 * only when it is asked, not when it is killed.
 */
export function benchRun(prefix, { stopSignal = 'SIGTERM' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children = new Set();
  process.on('exit', () => {
    for (const child of children) child.kill(stopSignal);
    rmSync(dir, { recursive: true, force: true });
  });
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));

  /** Starts a child whose stdout and stderr are kept (`output()`), stopped with the run. */
  function start(command, args, options = {}) {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    children.add(child);
    let out = '';
    // A stream given to a file (options.stdio) is not kept.
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('exit', () => children.delete(child));
    return Object.assign(child, { output: () => out });
  }
  return { dir, children, start };
}

/** Resolves once the child printed `text` (stdout or stderr); rejects naming `name` on exit or after `timeoutMs`. */
export function printed(child, name, text, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${child.output()}`)), timeoutMs);
    const check = () => {
      if (!child.output().includes(text)) return;
      clearTimeout(timer);
      resolve(child);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${child.output()}`)));
    check();
  });
}

/** SIGTERM, then SIGKILL if the child is still there after 3 s. */
export async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Hands out ports one after another from a random start below the ephemeral range (32768+), where clients' own connections take theirs. */
export function portAllocator() {
  let next = 20000 + Math.floor(Math.random() * 12000);
  return () => next++;
}

/** Whether host:port accepts a TCP connection now. */
export function accepts(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits (10 s at most) until host:port accepts connections; else throws with `why()` (e.g. the children's output). */
export async function listening(host, port, why = () => '') {
  for (let i = 0; i < 100; i++) {
    if (await accepts(host, port)) return;
    await sleep(100);
  }
  throw new Error(`${host}:${port} never answered${why() ? `: ${why()}` : ''}`);
}

const toMs = (value, unit) => Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

/** One wrk run (2 threads, --latency): requests, requests/s, p99 in ms, non-2xx answers and socket errors. */
export async function wrk(url, { connections, seconds, headers = [] }) {
  const args = ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const { stdout } = await execFileAsync('wrk', args, { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 20 });
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  return {
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    p99Ms: p99 ? toMs(p99[1], p99[2]) : NaN,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    socketErrors: /Socket errors: (.*)/.exec(stdout)?.[1] ?? '',
  };
}

/**
 * A fresh directory `<parent>/<name>` with a `gatehouse run` config on the embedded cluster, like the
 * end-to-end tests' (every listener on port 0, every file in the dir); `tasks` > 0 adds one app of that
 * many `sleep` tasks. Returns the config's path.
 */
export function embeddedConfig(parent, name, { workers = 1, ports, dnsHttp = false, tasks = 0 }) {
  const dir = join(parent, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'apps.d'), { recursive: true });
  mkdirSync(join(dir, 'routes.d'));
  if (tasks > 0) writeFileSync(join(dir, 'apps.d', 'sleepers.yaml'), `id: /sleepers\ninstances: ${tasks}\ncpus: 0.1\nmem: 16\ncmd: exec sleep 600\n`);
  const at = (file) => JSON.stringify(join(dir, file));
  const lines = [
    'cluster:',
    '  source: local',
    '  local:',
    `    apps: ${at('apps.d')}`,
    `    workDir: ${at('work')}`,
    '    http: 127.0.0.1:0',
    `    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "${ports}" }`,
    'dns:',
    '  listen: 127.0.0.1:0',
    `  http: ${dnsHttp ? '127.0.0.1:0' : '""'}`,
    'gateway:',
    '  listen: 127.0.0.1:0',
    `  workers: ${workers}`,
    `  routes: ${at('routes.d')}`,
    'authn:',
    `  signingKey: ${at('key.pem')}`,
    `  users: ${at('users.yaml')}`,
  ];
  writeFileSync(join(dir, 'gatehouse.yaml'), `${lines.join('\n')}\n`);
  return join(dir, 'gatehouse.yaml');
}

/** utime + stime of a process in ms, from /proc (USER_HZ = 100 on Linux). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
