// DNS benchmark: Gatehouse against its peers in the same run, with the same queries.
//   npm run build && node bench/dns.mjs [--seconds 10] [--rounds 2] [--tasks 1000]
// Needs dnsperf (apt-get install -y dnsperf); dnsmasq and unbound are measured when installed
// (apt-get install -y dnsmasq-base unbound). Everything listens on 127.0.0.1 and stops by itself.
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateState } from './gen-state.mjs';
import { benchRun, portAllocator, printed, requireTools, root, sleep, stop, which } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    tasks: { type: 'string', default: '1000' },
    only: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const TASKS = Number(values.tasks);
requireTools(['dnsperf'], 'apt-get install -y dnsperf');
if (!existsSync(join(root, 'dist/cli/main.js'))) { console.error('dist/ is missing: npm run build'); process.exit(2); }

const { parseMasterState } = await import(join(root, 'dist/cluster/index.js'));
const { buildRecordSet, DnsServer } = await import(join(root, 'dist/dns/index.js'));
const { pino } = await import('pino');

const run = benchRun('gatehouse-bench-', { stopSignal: 'SIGKILL' });
const { dir } = run;
const port = portAllocator();

/** Starts a server; resolves once it printed `readyText`, or after 1.5 s when it prints nothing to wait for. */
async function start(name, cmd, args, readyText) {
  const child = run.start(cmd, args);
  if (readyText) return printed(child, name, readyText);
  await sleep(1500);
  if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${child.output()}`);
  return child;
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

// --- servers under test
const servers = {
  gatehouse: async () => {
    const p = port();
    const config = join(dir, 'gatehouse.yaml');
    writeFileSync(
      config,
      `cluster:\n  source: file\n  file: { path: ${JSON.stringify(statePath)} }\ndns:\n  listen: 127.0.0.1:${p}\n  http: ""\ngateway: { enabled: false }\nauthn: { enabled: false }\nlog: { level: warn }\n`,
    );
    const child = await start('gatehouse', process.execPath, [join(root, 'bin/gatehouse'), 'run', '--config', config], null);
    await sleep(1500);
    return { child, port: p, queries: queryFile };
  },
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
      results[name].push({ ...r, note: server.note });
      console.error(`round ${round + 1} ${name}: ${Math.round(r.qps)} qps, lost ${r.lost}/${r.sent}`);
    } finally {
      await stop(server.child);
    }
  }
}

// --- records rebuild time and memory for 10,000 tasks
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
    zone: {
      domain: 'mesos',
      ttl: 60,
      soaMname: 'ns1.mesos.',
      soaRname: 'root.ns1.mesos.',
      soaRefresh: 60,
      soaRetry: 600,
      soaExpire: 86400,
      srvWeight: 1,
      recurse: true,
      setTruncateBit: true,
    },
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

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
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
console.log('| server | queries/s | lost | avg latency | note |\n| --- | ---: | ---: | ---: | --- |');
for (const [n, s] of Object.entries(summary.servers)) console.log(`| ${n} | ${s.qps.toLocaleString('en')} | ${s.lostPct}% | ${s.latencyMs} ms | ${s.note} |`);
const rb = summary.rebuild10k;
console.log(
  `\nrebuild for 10,000 tasks: records ${rb.warmRecordsMs} ms (first, cold build: ${rb.coldRecordsMs} ms); with parsing the state ${rb.warmTotalMs} ms (parse ${rb.warmParseMs} ms)`,
);
console.log(`gatehouse serving 10,000 tasks: peak RSS ${summary.gatehouse10k.peakRssMb} MB, ${summary.gatehouse10k.qps.toLocaleString('en')} qps`);
