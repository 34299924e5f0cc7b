// Embedded cluster timings, end to end as a user sees them through `dig`: from `gatehouse run` to the
// demo app in DNS, from saving an app file to DNS, from a killed task to DNS, and scaling to N tasks.
//   npm run build && node bench/local-cluster.mjs [--scale 50]
// Needs dig (apt-get install -y dnsutils). Everything on 127.0.0.1 ephemeral ports; stops by itself.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchRun, requireTools, root, sleep } from './lib.mjs';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '50' } } });
const SCALE = Number(values.scale);
requireTools(['dig'], 'apt-get install -y dnsutils');
const { dir, start } = benchRun('gatehouse-local-bench-');
cpSync(join(root, 'config', 'apps.d.example'), join(dir, 'apps.d'), { recursive: true });
const app = join(dir, 'apps.d', 'hello.yaml');
const original = readFileSync(app, 'utf8');
writeFileSync(join(dir, 'gatehouse.yaml'), [
  'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
  '    http: 127.0.0.1:0', '    resources: { cpus: 64, mem: 65536, disk: 1024, ports: "21000-21999" }',
  'dns:', '  listen: 127.0.0.1:0', '  http: ""', '  ttl: 0',
  'gateway:', '  enabled: false', 'authn:', '  enabled: false', 'log:', `  level: ${process.env.BENCH_LOG ?? 'warn'}`,
].join('\n'));

const t0 = performance.now();
const child = start(process.execPath, [join(root, 'bin/gatehouse'), 'run', '--config', join(dir, 'gatehouse.yaml')], {
  env: { ...process.env, LOG_FORMAT: 'json' },
});
const deadline = setTimeout(() => { console.error('gave up after 120 s'); process.exit(2); }, 120_000);
process.on('exit', () => { if (process.env.BENCH_LOG) writeFileSync('/tmp/local-bench.log', child.output()); });
async function dnsPort() {
  for (;;) {
    const text = execFileSync('ss', ['-Hlunp']).toString();
    const line = text.split('\n').find((l) => l.includes(`pid=${child.pid},`));
    if (line) return Number(line.trim().split(/\s+/)[3].split(':').at(-1));
    await sleep(20);
  }
}
const port = await dnsPort();
const srvPorts = () => {
  try {
    return [
      ...new Set(
        execFileSync('dig', ['@127.0.0.1', '-p', String(port), '_hello._tcp.marathon.mesos', 'SRV', '+short', '+time=1', '+tries=1'])
          .toString()
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ')[2]),
      ),
    ];
  } catch {
    return [];
  }
};
async function until(ok) {
  const start = performance.now();
  for (;;) {
    const value = srvPorts();
    if (ok(value)) return { value, ms: performance.now() - start };
    await sleep(10);
  }
}
const row = (what, ms) => console.log(`| ${what} | ${Math.round(ms).toLocaleString('en-US')} ms |`);
console.log('| step | time |\n| --- | ---: |');
const started = await until((p) => p.length === 2);
row('`gatehouse run` to both demo tasks in DNS (SRV)', performance.now() - t0);
writeFileSync(app, original.replace(/^instances: 2/m, 'instances: 3'));
row('app file saved (2 → 3 instances) to the third task in DNS', (await until((p) => p.length === 3)).ms);
const victim = started.value[0];
const pid = readdirSync('/proc')
  .filter((p) => /^\d+$/.test(p))
  .find((p) => {
    try {
      return (
        readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`PORT0=${victim}`) &&
        readFileSync(`/proc/${p}/comm`, 'latin1').trim() === 'node'
      );
    } catch {
      return false;
    }
  });
const killedAt = performance.now();
process.kill(Number(pid), 'SIGKILL');
await until((p) => !p.includes(victim));
row('task process killed to its port gone from DNS', performance.now() - killedAt);
await until((p) => p.length === 3);
row('task process killed to its replacement in DNS (1 s backoff)', performance.now() - killedAt);
writeFileSync(app, original.replace(/^instances: 2/m, `instances: ${SCALE}`));
row(`scale 3 → ${SCALE} instances, all in DNS`, (await until((p) => p.length === SCALE)).ms);
writeFileSync(app, original);
row(`scale ${SCALE} → 2, DNS down to 2`, (await until((p) => p.length === 2)).ms);
clearTimeout(deadline);
process.exit(0);
