// Memory and CPU of a `gatehouse run` primary soon after it starts: the embedded cluster, one gateway
// worker, DNS on, with no apps and with one app of 10 `sleep` tasks. Read a few seconds after
// "gatehouse is running" (the source has subscribed and the tasks run by then): the primary's resident
// memory (VmRSS) and its own CPU (/proc). Targets alternate start by start.
//
//   npm run build && node bench/startup-rss.mjs [--runs 5] [--settle 6] [--node /path/to/node] [--baseline DIR]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchRun, cpuMs, embeddedConfig, execFileAsync, median, printed, root, sleep, stop } from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option('runs', '5'));
const settleMs = Number(option('settle', '6')) * 1000;
const node = option('node', process.execPath);
const baseline = option('baseline', null);
const TASKS = [0, 10];

const run = benchRun('gatehouse-bench-startup-rss-');
const env = { ...process.env, LOG_FORMAT: 'json', NODE_COMPILE_CACHE: join(run.dir, 'compile-cache') };

const freshConfig = (name, tasks) => embeddedConfig(run.dir, name, { tasks, ports: '21600-21649' });

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const children = (pid) =>
  readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
const descendants = (pid) => children(pid).flatMap((child) => [child, ...descendants(child)]);
const command = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

async function once(target, tasks) {
  const config = freshConfig(`${target.name}-${tasks}`, tasks);
  const child = run.start(node, [join(target.checkout, 'bin/gatehouse'), 'run', '--config', config], { env });
  await printed(child, 'gatehouse run', '"gatehouse is running"', 30_000);
  await sleep(settleMs);
  const running = descendants(child.pid).filter((pid) => command(pid) === 'sleep').length;
  if (running !== tasks) throw new Error(`${target.name}: ${running} of ${tasks} tasks running after ${settleMs} ms`);
  const result = { rss: rssMb(child.pid), cpu: cpuMs(child.pid) };
  await stop(child);
  return result;
}

const targets = [{ name: 'gatehouse', checkout: root }, ...(baseline ? [{ name: 'baseline', checkout: baseline }] : [])];
const { stdout: version } = await execFileAsync(node, ['--version']);
console.log(`node ${version.trim()}, ${runs} starts per case (median), primary ${settleMs / 1000} s after "gatehouse is running"`);
console.log('| target | tasks | primary RSS MB | primary CPU ms | RSS of each start |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const tasks of TASKS) {
  const results = new Map(targets.map((target) => [target, []]));
  for (let i = 0; i < runs; i++) for (const target of targets) results.get(target).push(await once(target, tasks));
  for (const target of targets) {
    const list = results.get(target);
    const rss = list.map((r) => Math.round(r.rss));
    console.log(`| ${target.name} | ${tasks} | ${median(rss)} | ${median(list.map((r) => r.cpu))} | ${rss.join(', ')} |`);
  }
}
