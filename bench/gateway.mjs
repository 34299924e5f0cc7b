// Gateway benchmark: wrk on loopback against (1) the upstream directly, (2) nginx as a plain reverse
// proxy with upstream keep-alive and no authentication, (3) Gatehouse checking a valid token on every
// request. Small responses, 64 and 256 connections, alternating rounds in one run.
//   npm run build && node bench/gateway.mjs [--seconds 10] [--rounds 3] [--workers 1,2] [--engines lean,node] [--baseline DIR] [--warmup 3]
//     [--service] [--minimal] [--cpu-prof DIR]
// --workers, --engines: gateway.workers and gateway.engine, one Gatehouse per combination, all measured in the same rounds;
// --service: the first Gatehouse is also measured on `/service/app/` (a Marathon task on the upstream's port);
// --minimal: also the two minimal undici proxies of bench/peers/minimal-proxy.mjs (node:http, and Node's llhttp on net);
// h2load (apt-get install -y nghttp2-client), when installed, measures latency a second time right after each wrk run
// (same target, connections and duration), from its per-request log: here wrk's p99 at 256 connections swings
// between runs of one target far more than h2load's does (README "Performance → Gateway").
// --baseline: also runs the (built) Gatehouse checkout in DIR with the first combination, as target `baseline`, for before/after in one run,
// and prints each Gatehouse's CPU per request and requests/s as ratios to the baseline's, round by round;
// --warmup SECONDS: the warm-up run before each measured one (default 3; 0: one 3-s warm-up per target before the first round only,
// for many short rounds on a machine whose load drifts); --cpu-prof runs Gatehouse (and its workers) under `node --cpu-prof`.
// --operator: the case operators run, on both sides alike: access logs on (Gatehouse's JSON lines on stdout
// into a file, nginx's `access_log` into a file, both batched: 4 KiB or 250 ms), a token from a trusted
// issuer (RS256, `authn.trust[].publicKey` with an issuer) instead of the instance's own key, and
// `cluster.source: mesos` polling a Mesos master (a local server with the same state) every 5 s.
// Needs wrk and nginx (apt-get install -y wrk nginx-light). Everything on 127.0.0.1; stops by itself.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { openSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { benchRun, execFileAsync, listening, portAllocator, requireTools, root, which, wrk as wrkRun } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1' },
    engines: { type: 'string', default: 'lean' },
    baseline: { type: 'string' },
    service: { type: 'boolean', default: false },
    minimal: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    operator: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '3' },
  },
});
const WORKERS = values.workers.split(',').map(Number);
const ENGINES = values.engines.split(',');
const PROF = values['cpu-prof'];
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const OPERATOR = values.operator;
const WARMUP = Number(values.warmup);
requireTools(['wrk', 'nginx'], 'apt-get install -y wrk nginx-light');
const H2LOAD = which('h2load');
if (!H2LOAD) console.error('h2load is not installed (apt-get install -y nghttp2-client): latency is measured with wrk only');

const { dir, start } = benchRun('gatehouse-gw-bench-');
const nextPort = portAllocator();
const UPSTREAM = nextPort(), NGINX = nextPort();

// nginx serves both the upstream (a small fixed response) and, on another port, the reverse proxy.
// `keepalive 256`: nginx keeps as many idle upstream connections as Gatehouse does per origin. With 128
// (before), at 256 client connections nginx closed and reopened upstream connections all the time,
// and its own p99 went from ~12 ms to 120–200 ms: a handicap of the peer, not its real behaviour.
writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { ${OPERATOR ? `access_log ${dir}/logs/nginx-access.log combined buffer=4k flush=250ms;` : 'access_log off;'}
  upstream app { server 127.0.0.1:${UPSTREAM}; keepalive 256; }
  server { listen 127.0.0.1:${UPSTREAM}; location / { default_type text/plain; return 200 "hello from upstream\\n"; } }
  server { listen 127.0.0.1:${NGINX}; location /app/ { proxy_pass http://app/; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}`);
mkdirSync(join(dir, 'logs'), { recursive: true });
const nginx = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);

mkdirSync(join(dir, 'routes.d'));
writeFileSync(join(dir, 'routes.d', 'app.yaml'), `routes:\n  - { name: app, path: /app/, to: "http://127.0.0.1:${UPSTREAM}" }\n`);
// One Marathon task on the upstream's port, so that `/service/app/` (Admin Router's main route) can be measured too.
writeFileSync(
  join(dir, 'state.json'),
  JSON.stringify({
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'agent-S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'localhost' }],
    frameworks: [
      {
        id: 'fw',
        name: 'marathon',
        pid: 'scheduler@127.0.0.1:8080',
        tasks: [
          {
            id: 'app.1',
            name: 'app',
            framework_id: 'fw',
            slave_id: 'agent-S0',
            state: 'TASK_RUNNING',
            resources: { ports: `[${UPSTREAM}-${UPSTREAM}]` },
            labels: [{ key: 'DCOS_SERVICE_NAME', value: 'app' }],
            statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }],
          },
        ],
      },
    ],
  }),
);
// --operator: a Mesos master answering /master/state with the same state (SUBSCRIBE is refused, so the
// source polls, as against a master whose stream is unavailable), and an identity provider's key pair.
const MESOS = OPERATOR ? nextPort() : null;
const mesosMaster = OPERATOR
  ? createServer((request, response) => {
      if (request.url === '/master/state') return void response.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(join(dir, 'state.json')));
      response.writeHead(404).end();
    }).listen(MESOS, '127.0.0.1')
  : null;
const ISSUER = 'https://idp.bench.example/';
const idp = OPERATOR ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : null;
if (idp) writeFileSync(join(dir, 'idp.pub.pem'), idp.publicKey.export({ type: 'spki', format: 'pem' }));
const minimal = values.minimal ? ['node-http', 'llhttp'].map((mode) => {
  const port = nextPort();
  return {
    name: `minimal-undici-${mode}`,
    port,
    child: start(process.execPath, [join(root, 'bench/peers/minimal-proxy.mjs'), mode, String(port), String(UPSTREAM)]),
  };
}) : [];
// One Gatehouse per --workers value, each on its own port, measured in the same alternating rounds.
const gatehouses = WORKERS.flatMap((workers) => ENGINES.map((engine) => {
  const port = nextPort();
  const config = join(dir, `gatehouse-w${workers}-${engine}.yaml`);
  writeFileSync(
    config,
    [
      OPERATOR
        ? `cluster: { source: mesos, mesos: { masters: ["http://127.0.0.1:${MESOS}"], refresh: 5s } }`
        : `cluster: { source: file, file: { path: ${JSON.stringify(join(dir, 'state.json'))} } }`,
      'dns: { enabled: false }',
      `gateway: { listen: "127.0.0.1:${port}", routes: ${JSON.stringify(join(dir, 'routes.d'))}, workers: ${workers}, engine: ${engine} }`,
      `authn: { signingKey: ${JSON.stringify(join(dir, 'key.pem'))}, users: ${JSON.stringify(join(dir, 'users.yaml'))}${
        OPERATOR ? `, trust: [{ publicKey: ${JSON.stringify(join(dir, 'idp.pub.pem'))}, issuer: "${ISSUER}" }]` : ''
      } }`,
      // Access-log lines are info; without --operator only warnings are logged (no access log, as nginx's `off`).
      `log: { level: ${OPERATOR ? 'info' : 'warn'} }`,
      '',
    ].join('\n'),
  );
  const name = ['gatehouse', WORKERS.length > 1 ? `w${workers}` : '', ENGINES.length > 1 ? engine : ''].filter(Boolean).join('-');
  return { name, workers, port, config, child: null, bin: join(root, 'bin/gatehouse') };
}));
if (values.baseline) {
  const first = gatehouses[0];
  const port = nextPort();
  const config = join(dir, 'baseline.yaml');
  writeFileSync(config, readFileSync(first.config, 'utf8').replace(`127.0.0.1:${first.port}`, `127.0.0.1:${port}`));
  gatehouses.push({ name: 'baseline', workers: first.workers, port, config, child: null, bin: join(values.baseline, 'bin/gatehouse') });
}
function startGatehouse(g) {
  // Workers inherit the primary's execArgv, so they are profiled too.
  const prof = PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : [];
  // With --operator the access log goes to a file, as nginx's does (a pipe read by this script would
  // cost this script's CPU, and a stalled pipe would drop lines).
  // In a folder of their own: the users file's folder is watched, and a log growing beside it would
  // wake that watch on every write.
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const stdout = OPERATOR ? openSync(join(dir, 'logs', `${g.name}-access.log`), 'a') : 'pipe';
  g.child = start(process.execPath, [...prof, g.bin, 'run', '--config', g.config], { stdio: ['ignore', stdout, 'pipe'] });
}

/** Waits until the port accepts connections, or exits naming who did not start and what it printed. */
async function up(port, who) {
  try {
    await listening('127.0.0.1', port);
  } catch {
    console.error(`${who} did not start: ${who === 'nginx' ? nginx.output() : gatehouses.map((g) => g.child?.output() ?? '').join('\n')}`);
    process.exit(2);
  }
}
await up(UPSTREAM, 'nginx');
await up(NGINX, 'nginx');
// One after the other: the first creates the signing key and users file the others read.
for (const g of gatehouses) {
  startGatehouse(g);
  await up(g.port, g.name);
}
for (const m of minimal) await up(m.port, m.name);
const token = OPERATOR
  ? await new SignJWT({ uid: 'bench' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setExpirationTime('2h')
      .sign(idp.privateKey)
  : execFileSync(process.execPath, [join(root, 'bin/gatehouse'), 'token', '--uid', 'bench', '--config', gatehouses[0].config]).toString().trim();

/**
 * CPU seconds (user + system) used so far by a process and all its descendants (Gatehouse's workers,
 * nginx's worker), from /proc: a steadier measure than requests/s on a machine whose speed drifts.
 */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuSeconds(rootPid) {
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch { /* gone meanwhile */ }
  }
  let ticks = 0;
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === pid) queue.push(child);
  }
  return ticks / CLK_TCK;
}

/** A wrk run (asynchronous, so that Ctrl-C or SIGTERM stops the run and every child at once), with `pid`'s CPU per request. */
async function wrk(url, connections, headers = [], seconds = SECONDS, pid = null) {
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const result = await wrkRun(url, { connections, seconds, headers });
  const cpu = pid ? cpuSeconds(pid) - cpuBefore : NaN;
  return { rps: result.rps, p99Ms: result.p99Ms, non2xx: result.non2xx, cpuUsPerRequest: (cpu * 1e6) / result.requests };
}

// Every Gatehouse through the file route `/app/`; the first one also through `/service/app/` (--service).
// `pid`: whose CPU is counted per request — nginx's (proxy and upstream in one worker), the minimal
// proxies', each Gatehouse's (primary and workers; the upstream is not in it).
const urls = {
  upstream: { url: `http://127.0.0.1:${UPSTREAM}/`, headers: [], pid: nginx.pid },
  nginx: { url: `http://127.0.0.1:${NGINX}/app/`, headers: [], pid: nginx.pid },
  ...Object.fromEntries(minimal.map((m) => [m.name, { url: `http://127.0.0.1:${m.port}/`, headers: [], pid: m.child.pid }])),
  ...Object.fromEntries(
    gatehouses.map((g) => [
      g.name,
      { url: `http://127.0.0.1:${g.port}/app/`, headers: [`Authorization: token=${token}`], pid: g.child.pid },
    ]),
  ),
  ...(values.service
    ? {
        [`${gatehouses[0].name}-service`]: {
          url: `http://127.0.0.1:${gatehouses[0].port}/service/app/`,
          headers: [`Authorization: token=${token}`],
          pid: gatehouses[0].child.pid,
        },
      }
    : {}),
};
/** p99 (and mean) latency from h2load's per-request log: HTTP/1.1, keep-alive, one request at a time per connection, as wrk. */
async function h2load(url, connections, headers = [], seconds = SECONDS) {
  const log = join(dir, 'h2load.log');
  rmSync(log, { force: true });
  try {
    await execFileAsync(
      'h2load',
      ['--h1', '-t', '2', '-c', String(connections), '-D', String(seconds), ...headers.flatMap((h) => ['-H', h]), `--log-file=${log}`, url],
      { timeout: (seconds + 15) * 1000 },
    );
  } catch (error) {
    // Seen once in ~70 runs: h2load stopped its clients but did not exit. That round has no h2load value.
    console.error(`h2load against ${url} failed (${error.killed ? 'did not exit in time' : error.message.split('\n')[0]}); this round has no h2load value`);
    return null;
  }
  // Each line: start time, status, duration (µs).
  const durations = readFileSync(log, 'utf8').trim().split('\n').map((line) => Number(line.split('\t')[2])).sort((a, b) => a - b);
  return {
    p99Ms: durations[Math.floor(0.99 * (durations.length - 1))] / 1000,
    meanMs: durations.reduce((a, b) => a + b, 0) / durations.length / 1000,
    requests: durations.length,
  };
}

const targets = Object.fromEntries(Object.entries(urls).map(([name, t]) => [name, (c) => wrk(t.url, c, t.headers, SECONDS, t.pid)]));
const warmUp = Object.fromEntries(Object.entries(urls).map(([name, t]) => [name, (c) => wrk(t.url, c, t.headers, WARMUP)]));
const results = {};
for (const connections of [64, 256]) {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? Object.keys(targets).reverse() : Object.keys(targets);
    for (const name of order) {
      // A short run first (JIT, keep-alive pools), for every target alike; with --warmup 0 only before the first round.
      if (WARMUP > 0) await warmUp[name](connections);
      else if (round === 0) await wrk(urls[name].url, connections, urls[name].headers, 3);
      const r = await targets[name](connections);
      if (H2LOAD) r.h2load = (await h2load(urls[name].url, connections, urls[name].headers)) ?? { p99Ms: NaN, meanMs: NaN, requests: 0 };
      (results[`${name}@${connections}`] ??= []).push(r);
      console.error(
        `c=${connections} round ${round + 1} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, CPU ${Math.round(r.cpuUsPerRequest)} µs/request, non-2xx ${r.non2xx}${r.h2load ? `; h2load p99 ${r.h2load.p99Ms.toFixed(2)} ms` : ''}`,
      );
    }
  }
}
for (const g of gatehouses) g.child.kill('SIGTERM');
if (PROF) await Promise.all(gatehouses.map((g) => new Promise((r) => g.child.once('exit', r)))); // profiles are written on exit
for (const m of minimal) m.child.kill('SIGTERM');
nginx.kill('SIGTERM');
mesosMaster?.close();
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
// p99 over rounds: the median, not the mean. Here some runs of every target (a bare node:http server
// too) have an episodic tail of a few hundred ms at 256 connections; one such run would set the mean.
const median = (values) => {
  const xs = values.filter((x) => !Number.isNaN(x));
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `\nGateway${OPERATOR ? ' (--operator: access logs on both sides, RS256 token of a trusted issuer, mesos source)' : ''} (gateway.workers: ${WORKERS.join(', ')}; gateway.engine: ${ENGINES.join(', ')}), wrk -t 2 -d ${SECONDS}s, small responses, mean of ${ROUNDS} alternating rounds (after a warm-up run each)\n`,
);
const h2 = H2LOAD ? ' h2load p99 (median) | h2load p99 of each round | h2load p99 vs nginx |' : '';
console.log(
  `| target | connections | requests/s | vs nginx (req/s) | wrk p99 (median of rounds) | wrk p99 of each round | wrk p99 vs nginx |${h2} CPU µs per request | non-2xx |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |${H2LOAD ? ' ---: | ---: | ---: |' : ''} ---: | ---: |`,
);
for (const c of [64, 256]) {
  const base = mean(results[`nginx@${c}`].map((r) => r.rps));
  const baseP99 = median(results[`nginx@${c}`].map((r) => r.p99Ms));
  const baseH2 = H2LOAD ? median(results[`nginx@${c}`].map((r) => r.h2load.p99Ms)) : NaN;
  for (const name of Object.keys(targets)) {
    const rs = results[`${name}@${c}`];
    const p99 = median(rs.map((r) => r.p99Ms));
    const h2p99 = H2LOAD ? median(rs.map((r) => r.h2load.p99Ms)) : NaN;
    const h2cells = H2LOAD ? ` ${h2p99.toFixed(2)} ms | ${rs.map((r) => r.h2load.p99Ms.toFixed(1)).join(', ')} | ${(h2p99 / baseH2).toFixed(2)}× |` : '';
    console.log(
      `| ${name} | ${c} | ${Math.round(mean(rs.map((r) => r.rps))).toLocaleString('en')} | ${(mean(rs.map((r) => r.rps)) / base).toFixed(2)}× | ${p99.toFixed(2)} ms | ${rs.map((r) => r.p99Ms.toFixed(1)).join(', ')} | ${(p99 / baseP99).toFixed(2)}× |${h2cells} ${Math.round(mean(rs.map((r) => r.cpuUsPerRequest)))} | ${rs.reduce((a, r) => a + r.non2xx, 0)} |`,
    );
  }
}
// --baseline: each Gatehouse against the baseline round by round (the two ran back to back in each
// round), so a machine whose speed drifts between rounds moves both sides of each ratio alike.
if (values.baseline) {
  console.log(
    '\n| target against baseline | connections | CPU µs per request, ratio (median of rounds) | each round | requests/s, ratio (median) | each round |',
  );
  console.log('| --- | ---: | ---: | --- | ---: | --- |');
  for (const c of [64, 256]) {
    const base = results[`baseline@${c}`];
    for (const g of gatehouses.filter((g) => g.name !== 'baseline')) {
      const rs = results[`${g.name}@${c}`];
      const cpu = rs.map((r, i) => r.cpuUsPerRequest / base[i].cpuUsPerRequest);
      const rps = rs.map((r, i) => r.rps / base[i].rps);
      const cells = (xs) => `${median(xs).toFixed(3)}× | ${xs.map((x) => x.toFixed(2)).join(', ')}`;
      console.log(`| ${g.name} | ${c} | ${cells(cpu)} | ${cells(rps)} |`);
    }
  }
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/gateway.json'),
  JSON.stringify(
    { date: new Date().toISOString(), workers: WORKERS, engines: ENGINES, seconds: SECONDS, rounds: ROUNDS, results },
    null,
    2,
  ),
);
