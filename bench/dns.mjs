// DNS benchmark: Gatehouse against its peers in the same run, with the same queries.
//   npm run build && node bench/dns.mjs [--seconds 10] [--rounds 2] [--tasks 1000] [--only gatehouse,gatehouse-2-workers,...] [--rounds-only]
// Needs dnsperf (apt-get install -y dnsperf); dnsmasq and unbound are measured when installed
// (apt-get install -y dnsmasq-base unbound). Everything listens on 127.0.0.1 and stops by itself.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateState } from './gen-state.mjs';
import { portAllocator, requireTools, root, sleep, stop, which } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    tasks: { type: 'string', default: '1000' },
    only: { type: 'string' },
    // Only the queries/s rounds: no 10,000-task rebuild and RSS measurement after them.
    'rounds-only': { type: 'boolean' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const TASKS = Number(values.tasks);
requireTools(['dnsperf'], 'apt-get install -y dnsperf');
if (!existsSync(join(root, 'dist/cli/main.js'))) { console.error('dist/ is missing: npm run build'); process.exit(2); }

const { parseMasterState } = await import(join(root, 'dist/cluster/index.js'));
const { buildRecordSet, DnsServer } = await import(join(root, 'dist/dns/index.js'));
// The zone `gatehouse run` serves (SOA names and timers, SRV weight, recursion, TC).
const { zoneOptionsFor } = await import(join(root, 'dist/cli/dns-zone.js'));
const { pino } = await import('pino');

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const children = new Set();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });

const port = portAllocator();

function start(name, cmd, args, readyText) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), 15000);
    const onData = (d) => {
      output += d;
      if (!readyText || output.includes(readyText)) { clearTimeout(timer); resolve(child); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
    if (!readyText) setTimeout(() => { clearTimeout(timer); resolve(child); }, 1500);
  });
}

// --- the state and the names every server serves
const stateText = JSON.stringify(generateState(TASKS));
const statePath = join(dir, 'state.json');
writeFileSync(statePath, stateText);
const snapshot = await parseMasterState(JSON.parse(stateText), { source: { kind: 'file', origin: statePath }, fetchedAt: Date.now() });
const records = buildRecordSet(snapshot, {
  domain: 'mesos',
  ipSources: ['netinfo', 'mesos', 'host'],
  enforceRFC952: false,
  soaMname: 'ns1.mesos.',
  nsIps: ['127.0.0.1'],
});
const aNames = [...records.a.keys()].filter((n) => n === n.toLowerCase());
const srvNames = [...records.srv.keys()].filter((n) => n === n.toLowerCase());

// Query mix: 60% A hits, 15% SRV hits, 10% AAAA of existing names (NODATA), 15% misses (NXDOMAIN).
const lines = [];
for (let i = 0; i < 20000; i++) {
  const r = i % 20;
  if (r < 12) lines.push(`${aNames[(i * 7919) % aNames.length]} A`);
  else if (r < 15) lines.push(`${srvNames[(i * 104729) % srvNames.length]} SRV`);
  else if (r < 17) lines.push(`${aNames[(i * 31) % aNames.length]} AAAA`);
  else lines.push(`missing-${i}.marathon.mesos. A`);
}
const queryFile = join(dir, 'queries.txt');
writeFileSync(queryFile, lines.join('\n') + '\n');
const aOnly = join(dir, 'queries-a.txt');
writeFileSync(aOnly, lines.filter((l) => l.endsWith(' A')).join('\n') + '\n');

// Ready means answering a zone name (not merely started): on a loaded machine workers take seconds.
async function answering(p) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const out = execFileSync('dig', ['@127.0.0.1', '-p', String(p), aNames[0], 'A', '+time=1', '+tries=1']).toString();
      if (out.includes('status: NOERROR') && /ANSWER: [1-9]/.test(out)) return;
    } catch { /* not yet */ }
    await sleep(200);
  }
  throw new Error(`nothing answered on port ${p} within 60 s`);
}

// A master for `gatehouse mesos-dns`: the same state, served as /master/state, naming itself the leader.
const { createServer } = await import('node:http');
const master = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(masterText));
await new Promise((resolve) => master.listen(0, '127.0.0.1', resolve));
master.unref();
const masterText = JSON.stringify({ ...JSON.parse(stateText), leader: `master@127.0.0.1:${master.address().port}` });

// `gatehouse run` with dns.workers = workers (the default, 1: DNS in the main process).
const gatehouseRun = (workers) => async () => {
  const p = port();
  const config = join(dir, `gatehouse-${workers}.yaml`);
  writeFileSync(
    config,
    `cluster:\n  source: file\n  file: { path: ${JSON.stringify(statePath)} }\ndns:\n  listen: 127.0.0.1:${p}\n  http: ""\n` +
      (workers > 1 ? `  workers: ${workers}\n` : '') +
      'gateway: { enabled: false }\nauthn: { enabled: false }\nlog: { level: warn }\n',
  );
  const child = await start('gatehouse', process.execPath, [join(root, 'bin/gatehouse'), 'run', '--config', config], null);
  await answering(p);
  // Every worker up (each answers only once it has the records): a moment more for the last ones.
  if (workers > 1) await sleep(1000);
  return { child, port: p, queries: queryFile, note: workers > 1 ? `dns.workers: ${workers}` : '' };
};

// The drop-in: `gatehouse mesos-dns -workers N` on a config.json naming the master above.
const mesosDns = (workers) => async () => {
  const p = port();
  const config = join(dir, `mesos-dns-${workers}.json`);
  writeFileSync(config, JSON.stringify({ masters: [`127.0.0.1:${master.address().port}`], refreshSeconds: 60, domain: 'mesos', port: p, listener: '127.0.0.1', httpon: false, externalon: false }));
  const args = [join(root, 'bin/gatehouse'), 'mesos-dns', '-config', config, '-workers', String(workers)];
  const child = await start('mesos-dns', process.execPath, args, 'mesos-dns is serving');
  await answering(p);
  if (workers > 1) await sleep(1000);
  return { child, port: p, queries: queryFile, note: `mesos-dns mode, -workers ${workers}` };
};

// --- servers under test
const servers = {
  gatehouse: gatehouseRun(1),
  'gatehouse-2-workers': gatehouseRun(2),
  'mesos-dns-1-worker': mesosDns(1),
  'mesos-dns-2-workers': mesosDns(2),
  'bare-dgram': async () => {
    const p = port();
    return { child: await start('bare-dgram', process.execPath, [join(root, 'bench/peers/bare-dgram.mjs'), String(p)], 'ready'), port: p, queries: queryFile };
  },
  'dns2-server': async () => {
    const p = port();
    const namesFile = join(dir, 'names.json');
    writeFileSync(namesFile, JSON.stringify(Object.fromEntries([...records.a].map(([n, ips]) => [n.replace(/\.$/, ''), ips]))));
    return {
      child: await start('dns2-server', process.execPath, [join(root, 'bench/peers/dns2-server.mjs'), String(p), namesFile], 'ready'),
      port: p,
      queries: aOnly,
      note: 'A queries only',
    };
  },
  dnsmasq: which('dnsmasq') && (async () => {
    const p = port();
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, [...records.a].flatMap(([n, ips]) => ips.map((ip) => `${ip} ${n.replace(/\.$/, '')}`)).join('\n') + '\n');
    const args = [
      '-k',
      '-C',
      '/dev/null',
      '-R',
      '-h',
      '--no-poll',
      '-z',
      `--listen-address=127.0.0.1`,
      `--port=${p}`,
      `--addn-hosts=${hosts}`,
      '--local=/mesos/',
      '--cache-size=0',
      '--pid-file',
      '--user=root',
    ];
    return { child: await start('dnsmasq', 'dnsmasq', args, null), port: p, queries: aOnly, note: 'A queries only (hosts file)' };
  }),
  unbound: which('unbound') && (async () => {
    const p = port();
    const conf = join(dir, 'unbound.conf');
    const data = [...records.a].flatMap(([n, ips]) => ips.map((ip) => `  local-data: "${n} 60 IN A ${ip}"`));
    const srv = [...records.srv].flatMap(([n, vs]) => vs.map((v) => `  local-data: "${n} 60 IN SRV 0 1 ${v.port} ${v.target}"`));
    writeFileSync(
      conf,
      `server:\n  interface: 127.0.0.1\n  port: ${p}\n  do-daemonize: no\n  username: ""\n  chroot: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  local-zone: "mesos." static\n  pidfile: ""\n  directory: "${dir}"\n${data.join('\n')}\n${srv.join('\n')}\n`,
    );
    return { child: await start('unbound', 'unbound', ['-d', '-c', conf], null), port: p, queries: queryFile };
  }),
};

function dnsperf(p, queries, seconds = SECONDS) {
  const out = execFileSync(
    'dnsperf',
    ['-s', '127.0.0.1', '-p', String(p), '-d', queries, '-l', String(seconds), '-c', '4', '-q', '200', '-t', '2'],
    { timeout: (seconds + 30) * 1000 },
  ).toString();
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    stddevMs: num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000,
  };
}

const names = Object.keys(servers).filter((n) => servers[n] && (!values.only || values.only.split(',').includes(n)));
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so that drift on a shared machine does not favour anyone.
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const server = await servers[name]();
    try {
      dnsperf(server.port, server.queries, 2); // warm-up (JIT, caches), same for every server
      const r = dnsperf(server.port, server.queries);
      const load = loadavg()[0];
      results[name].push({ ...r, note: server.note, load });
      console.error(`round ${round + 1} ${name}: ${Math.round(r.qps)} qps, lost ${r.lost}/${r.sent}, load average ${load.toFixed(2)}`);
    } finally {
      await stop(server.child);
    }
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// --- records rebuild time and memory for 10,000 tasks
if (values['rounds-only']) {
  console.log('\n| server | queries/s | each round | load average (1 min) each round | lost |\n| --- | ---: | --- | --- | ---: |');
  for (const [n, rs] of Object.entries(results))
    console.log(`| ${n} | ${Math.round(median(rs.map((r) => r.qps))).toLocaleString('en')} | ${rs.map((r) => Math.round(r.qps)).join(', ')} | ${rs.map((r) => r.load.toFixed(2)).join(', ')} | ${rs.reduce((a, r) => a + r.lost, 0)}/${rs.reduce((a, r) => a + r.sent, 0)} |`);
  process.exit(0);
}
const bigText = JSON.stringify(generateState(10000));
const silent = pino({ level: 'silent' });
const rebuild = [];
for (let i = 0; i < 8; i++) {
  const t0 = performance.now();
  const snap = await parseMasterState(JSON.parse(bigText), { source: { kind: 'file', origin: 'bench' }, fetchedAt: Date.now() });
  const t1 = performance.now();
  const rs = buildRecordSet(snap, {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    soaMname: 'ns1.mesos.',
    nsIps: ['127.0.0.1'],
  });
  const t2 = performance.now();
  const server = new DnsServer({
    listen: { host: '127.0.0.1', port: 0 },
    zone: zoneOptionsFor('mesos', 60),
    resolvers: [],
    resolverTimeoutMs: 1000,
    mode: 'gatehouse',
    logger: silent,
  });
  const built = server.setRecords(rs, 1);
  rebuild.push({ parseMs: t1 - t0, recordsMs: t2 - t1, answerTableMs: built.buildMs, totalMs: t1 - t0 + (t2 - t1) + built.buildMs, names: built.names });
}
const bigPath = join(dir, 'state-10k.json');
writeFileSync(bigPath, bigText);
const p = port();
const bigConfig = join(dir, 'gatehouse-10k.yaml');
writeFileSync(
  bigConfig,
  `cluster:\n  source: file\n  file: { path: ${JSON.stringify(bigPath)} }\ndns:\n  listen: 127.0.0.1:${p}\n  http: ""\ngateway: { enabled: false }\nauthn: { enabled: false }\nlog: { level: warn }\n`,
);
const big = await start('gatehouse-10k', process.execPath, [join(root, 'bin/gatehouse'), 'run', '--config', bigConfig], null);
await sleep(2500);
dnsperf(p, queryFile, 2);
const bigLoad = dnsperf(p, queryFile);
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${big.pid}/status`, 'utf8'))?.[1];
await stop(big);


// The first build runs on cold (unoptimised) code; a running Gatehouse rebuilds on warm code.
const warm = rebuild.slice(3);
const summary = {
  date: new Date().toISOString(),
  tasks: TASKS,
  seconds: SECONDS,
  rounds: ROUNDS,
  cpus: (await import('node:os')).cpus().length,
  servers: Object.fromEntries(
    Object.entries(results).map(([n, rs]) => [
      n,
      {
        qps: Math.round(median(rs.map((r) => r.qps))),
        lostPct: +((100 * rs.reduce((a, r) => a + r.lost, 0)) / rs.reduce((a, r) => a + r.sent, 0)).toFixed(3),
        latencyMs: +median(rs.map((r) => r.latencyMs)).toFixed(3),
        note: rs[0]?.note ?? '',
        rounds: rs.map((r) => Math.round(r.qps)),
        loads: rs.map((r) => +r.load.toFixed(2)),
      },
    ]),
  ),
  rebuild10k: {
    coldRecordsMs: Math.round(rebuild[0].recordsMs + rebuild[0].answerTableMs),
    warmRecordsMs: Math.round(median(warm.map((r) => r.recordsMs + r.answerTableMs))),
    warmParseMs: Math.round(median(warm.map((r) => r.parseMs))),
    warmTotalMs: Math.round(median(warm.map((r) => r.totalMs))),
    runs: rebuild.map((r) => ({
      parseMs: Math.round(r.parseMs),
      recordsMs: Math.round(r.recordsMs),
      answerTableMs: Math.round(r.answerTableMs),
      names: r.names,
    })),
  },
  gatehouse10k: { peakRssMb: hwm ? Math.round(Number(hwm) / 1024) : null, qps: Math.round(bigLoad.qps), lost: bigLoad.lost },
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/dns.json'), JSON.stringify(summary, null, 2));
console.log(`\nDNS, ${TASKS} tasks, dnsperf -c 4 -q 200 -l ${SECONDS}, median of ${ROUNDS} alternating rounds\n`);
console.log('| server | queries/s | each round | load average (1 min) each round | lost | avg latency | note |\n| --- | ---: | --- | --- | ---: | ---: | --- |');
for (const [n, s] of Object.entries(summary.servers))
  console.log(`| ${n} | ${s.qps.toLocaleString('en')} | ${s.rounds.join(', ')} | ${s.loads.join(', ')} | ${s.lostPct}% | ${s.latencyMs} ms | ${s.note} |`);
const rb = summary.rebuild10k;
console.log(
  `\nrebuild for 10,000 tasks: records ${rb.warmRecordsMs} ms (first, cold build: ${rb.coldRecordsMs} ms); with parsing the state ${rb.warmTotalMs} ms (parse ${rb.warmParseMs} ms)`,
);
console.log(`gatehouse serving 10,000 tasks: peak RSS ${summary.gatehouse10k.peakRssMb} MB, ${summary.gatehouse10k.qps.toLocaleString('en')} qps`);
