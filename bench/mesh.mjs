// Mesh benchmark: wrk through a VIP of Gatehouse's layer-4 mesh against HAProxy in TCP mode balancing
// the same two backends (nginx, a small fixed response), alternating rounds in one run:
//   - new connection per request (wrk with `Connection: close`), and keep-alive requests/s, with p99;
//   - bulk transfer: 1 GiB over 8 connections (each GETs 128 MiB), in MiB/s;
//   - idle connections held open through the VIP, with Gatehouse's RSS per connection;
//   - a VIP change: a backend added to the state file until it takes connections.
//   npm run build && node bench/mesh.mjs [--seconds 10] [--rounds 3] [--connections 64] [--idle 10000] [--mesh-workers 1|N|auto]
// Each measurement also reports the CPU the balancer's process(es) used per request or per MiB (from /proc).
// Needs wrk, nginx and haproxy (apt-get install -y wrk nginx-light haproxy). Everything on 127.0.0.1; stops by itself.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchRun, listening, median, portAllocator, requireTools, root, sleep, wrk } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    idle: { type: 'string', default: '10000' },
    'mesh-workers': { type: 'string', default: '1' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const IDLE = Number(values.idle);
const MESH_WORKERS = values['mesh-workers'];
requireTools(['wrk', 'nginx', 'haproxy'], 'apt-get install -y wrk nginx-light haproxy');

const { dir, start } = benchRun('gatehouse-mesh-bench-');
const port = portAllocator();
const B1 = port(), B2 = port(), B3 = port(), HAPROXY = port(), VIP_PORT = port();

// The backends: nginx, a small response at /, 128 MiB at /big (from memory-mapped page cache).
execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'big')}`, 'bs=1M', 'count=128', 'status=none']);
// nginx's workers run as nobody: they must be able to read the file (mkdtemp makes the directory 0700).
chmodSync(dir, 0o755);
chmodSync(join(dir, 'big'), 0o644);
writeFileSync(
  join(dir, 'nginx.conf'),
  `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 16384; }
http { access_log off; sendfile on; keepalive_requests 1000000;
  ${[B1, B2, B3].map((p) => `server { listen 127.0.0.1:${p} backlog=4096; location / { default_type text/plain; return 200 "hello from ${p}\\n"; } location = /big { alias ${dir}/big; } }`).join('\n  ')}
}`,
);
const nginx = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);

// As many threads as the mesh has balancer processes (HAProxy's default is a thread per core).
const MESH_PROCESSES = MESH_WORKERS === 'auto' ? availableParallelism() : Number(MESH_WORKERS);
writeFileSync(join(dir, 'haproxy.cfg'), `global
  maxconn 8000
  nbthread ${MESH_PROCESSES}
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
frontend vip
  bind 127.0.0.1:${HAPROXY}
  default_backend app
backend app
  balance roundrobin
  server b1 127.0.0.1:${B1}
  server b2 127.0.0.1:${B2}
`);
const haproxy = start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);

// Gatehouse: a state file with one app whose two tasks declare the VIP; only the mesh on.
const task = (port, i) => ({
  id: `bench.00000000-0000-4000-8000-00000000000${i}`,
  name: 'bench',
  framework_id: 'fw',
  slave_id: 'agent-S0',
  state: 'TASK_RUNNING',
  resources: { ports: `[${port}-${port}]` },
  statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }],
  discovery: {
    visibility: 'FRAMEWORK',
    name: 'bench',
    ports: {
      ports: [
        {
          number: port,
          protocol: 'tcp',
          labels: {
            labels: [
              { key: 'VIP_0', value: `/bench:${VIP_PORT}` },
              { key: 'network-scope', value: 'host' },
            ],
          },
        },
      ],
    },
  },
});
const state = (ports) =>
  JSON.stringify({
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'agent-S0', pid: 'slave(1)@127.0.0.1:5051', hostname: '127.0.0.1' }],
    frameworks: [{ id: 'fw', name: 'marathon', tasks: ports.map(task) }],
  });
const writeState = (ports) => { writeFileSync(join(dir, 'state.tmp'), state(ports)); renameSync(join(dir, 'state.tmp'), join(dir, 'state.json')); };
writeState([B1, B2]);
writeFileSync(join(dir, 'gatehouse.yaml'), `cluster: { source: file, file: { path: ${JSON.stringify(join(dir, 'state.json'))} } }
dns: { enabled: false }
gateway: { enabled: false }
authn: { enabled: false }
mesh: { vipRange: 127.11.0.0/16, drainTimeout: 1m${MESH_WORKERS === '1' ? '' : `, workers: ${MESH_WORKERS}`} }
log: { level: warn }
`);
const gatehouse = start(process.execPath, [...(process.env.MESH_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(root, 'bin/gatehouse'), 'run', '--config', join(dir, 'gatehouse.yaml')]);
const { buildVipTable, parseMasterState } = await import(join(root, 'dist/cluster/index.js'));
const table = buildVipTable(
  await parseMasterState(JSON.parse(state([B1, B2])), { source: { kind: 'file', origin: 'bench' }, fetchedAt: Date.now() }),
  { range: '127.11.0.0/16' },
);
const VIP = table.vips[0].address;

const outputs = () => `nginx: ${nginx.output()} haproxy: ${haproxy.output()} gatehouse: ${gatehouse.output()}`;
await listening('127.0.0.1', B1, outputs);
await listening('127.0.0.1', HAPROXY, outputs);
await listening(VIP, VIP_PORT, outputs);

/** CPU time (user + system, ms) used so far by a process and every process under it (the mesh's workers). */
function cpuMs(pid) {
  let ticks = 0;
  const visit = (id) => {
    try {
      const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${id}/task`))
        for (const child of readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) visit(child);
    } catch {
      // gone meanwhile
    }
  };
  visit(pid);
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Runs `work` and returns its result with the CPU ms the target's balancer process(es) used meanwhile. */
async function withCpu(pid, work) {
  const before = cpuMs(pid);
  const result = await work();
  return { ...result, cpuMs: cpuMs(pid) - before };
}

/** wrk against host:port, a new connection per request (`close`) or keep-alive. */
async function measure(host, port, close) {
  const result = await wrk(`http://${host}:${port}/`, { connections: CONNECTIONS, seconds: SECONDS, headers: close ? ['Connection: close'] : [] });
  const errors = [result.non2xx ? `non-2xx ${result.non2xx} ` : '', result.socketErrors ? `socket errors: ${result.socketErrors} ` : ''].join('');
  return { rps: result.rps, p99: result.p99Ms, requests: result.requests, errors };
}

/** 8 connections, each GET /big (128 MiB): MiB/s over the whole 1 GiB. */
async function bulk(host, port) {
  const started = performance.now();
  const one = () => new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let bytes = 0;
    s.on('data', (d) => (bytes += d.length));
    s.on('error', reject);
    s.on('end', () => resolve(bytes));
    s.write('GET /big HTTP/1.0\r\n\r\n');
  });
  const sizes = await Promise.all(Array.from({ length: 8 }, one));
  const mib = sizes.reduce((a, b) => a + b, 0) / 1048576;
  return { mib, mibps: mib / ((performance.now() - started) / 1000) };
}

const targets = [
  { name: 'gatehouse-vip', host: VIP, port: VIP_PORT, pid: gatehouse.pid },
  { name: 'haproxy-tcp', host: '127.0.0.1', port: HAPROXY, pid: haproxy.pid },
];
const results = Object.fromEntries(targets.map((t) => [t.name, { close: [], keepalive: [], bulk: [] }]));
// CPU per unit of work (µs per request, ms per MiB) does not depend on what else the machine runs, as requests/s does.
const usPerRequest = (x) => (x.cpuMs * 1000) / Math.max(1, x.requests);
const msPerMiB = (x) => x.cpuMs / x.mib;
// Warm-up, not counted: the mesh's JIT compiles its hot paths during the first thousands of connections.
for (const t of targets) {
  await wrk(`http://${t.host}:${t.port}/`, { connections: CONNECTIONS, seconds: 2, headers: ['Connection: close'] });
  await wrk(`http://${t.host}:${t.port}/`, { connections: CONNECTIONS, seconds: 2 });
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const t of round % 2 ? targets : [...targets].reverse()) {
    const close = await withCpu(t.pid, () => measure(t.host, t.port, true));
    const keep = await withCpu(t.pid, () => measure(t.host, t.port, false));
    const bulked = await withCpu(t.pid, () => bulk(t.host, t.port));
    results[t.name].close.push(close);
    results[t.name].keepalive.push(keep);
    results[t.name].bulk.push(bulked);
    console.log(
      `round ${round} ${t.name}: close ${close.rps.toFixed(0)} req/s p99 ${close.p99.toFixed(2)} ms ${usPerRequest(close).toFixed(0)} µs CPU/req ${close.errors}` +
        `| keep-alive ${keep.rps.toFixed(0)} req/s p99 ${keep.p99.toFixed(2)} ms ${usPerRequest(keep).toFixed(1)} µs CPU/req ${keep.errors}` +
        `| bulk ${bulked.mibps.toFixed(0)} MiB/s ${msPerMiB(bulked).toFixed(2)} ms CPU/MiB`,
    );
  }
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`\nmedians (mesh processes: ${MESH_PROCESSES}, HAProxy nbthread ${MESH_PROCESSES}; load average ${load}):`);
const med = (r, kind, f) => median(r[kind].map(f));
for (const t of targets) {
  const r = results[t.name];
  console.log(
    `${t.name.padEnd(14)} close ${med(r, 'close', (x) => x.rps).toFixed(0)} req/s (p99 ${med(r, 'close', (x) => x.p99).toFixed(2)} ms, ` +
      `${med(r, 'close', usPerRequest).toFixed(0)} µs CPU/req)  keep-alive ${med(r, 'keepalive', (x) => x.rps).toFixed(0)} req/s ` +
      `(p99 ${med(r, 'keepalive', (x) => x.p99).toFixed(2)} ms, ${med(r, 'keepalive', usPerRequest).toFixed(1)} µs CPU/req)  ` +
      `bulk ${med(r, 'bulk', (x) => x.mibps).toFixed(0)} MiB/s (${med(r, 'bulk', msPerMiB).toFixed(2)} ms CPU/MiB)`,
  );
}
const g = results['gatehouse-vip'], h = results['haproxy-tcp'];
const ratio = (kind, f) => (med(g, kind, f) / med(h, kind, f)).toFixed(2);
console.log(
  `ratios gatehouse/haproxy: close ${ratio('close', (x) => x.rps)}  keep-alive ${ratio('keepalive', (x) => x.rps)}  bulk ${ratio('bulk', (x) => x.mibps)}`,
);
console.log(
  `CPU per unit gatehouse/haproxy: close ${ratio('close', usPerRequest)}  keep-alive ${ratio('keepalive', usPerRequest)}  bulk ${ratio('bulk', msPerMiB)}`,
);

// A VIP change: the third backend added to the state file, until a connection reaches it.
const greet = () =>
  new Promise((resolve) => {
    const s = connect({ host: VIP, port: VIP_PORT });
    let t = '';
    s.on('data', (d) => (t += d));
    s.on('end', () => resolve(t));
    s.on('error', () => resolve(''));
    s.write('GET / HTTP/1.0\r\n\r\n');
  });
const changed = performance.now();
writeState([B1, B2, B3]);
for (;;) {
  if ((await greet()).includes(`hello from ${B3}`)) break;
  if (performance.now() - changed > 10_000) { console.log('the added backend was not reached within 10 s'); break; }
}
console.log(
  `VIP change (state file written -> new backend reached): ${(performance.now() - changed).toFixed(0)} ms (includes the file source noticing the change)`,
);

// Idle connections through the VIP: Gatehouse's RSS before and after.
/** Resident memory of Gatehouse and its mesh workers, in bytes. */
function rss(pid = gatehouse.pid) {
  let bytes = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  for (const task of readdirSync(`/proc/${pid}/task`))
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) bytes += rss(child);
  return bytes;
}
const before = rss();
const idle = [];
for (let i = 0; i < IDLE; i += 500) {
  await Promise.all(
    Array.from(
      { length: Math.min(500, IDLE - i) },
      () =>
        new Promise((resolve) => {
          const s = connect({ host: VIP, port: VIP_PORT });
          s.on('error', () => resolve());
          s.once('connect', () => {
            idle.push(s);
            resolve();
          });
        }),
    ),
  );
}
await sleep(2000);
const after = rss();
console.log(
  `${idle.length} idle connections through the VIP: RSS (with its mesh workers) ${(before / 1048576).toFixed(0)} -> ${(after / 1048576).toFixed(0)} MiB, ${((after - before) / Math.max(1, idle.length)).toFixed(0)} bytes per connection (each also holds one to nginx)`,
);
for (const s of idle) s.destroy();
process.exit(0);
