// DNS workers on port 0 listen on a UDP and TCP port pair the primary picked, even where most ports'
// TCP half is taken. In a network namespace of the test's own (`ip netns add`, as root) whose
// ephemeral range is two ports, one of them held by a TCP listener: a pick that lands on it must be
// retried elsewhere. Searching inside the workers failed there: the siblings share the UDP socket, so
// a retry got the same port back, and on Node 24 node:cluster asserted and killed the worker ("DNS
// worker exited before it served"). Two starts, as a pick is a coin toss between the two ports.
// The ports are fixed, but in the namespace's own network stack: no other process can hold them.
// Without the privilege to make a namespace the case is skipped with the reason.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDig } from '../support/dig.js';
import { addNetworkNamespace, deleteNetworkNamespace } from '../support/network-namespace.js';
import { startGatehouseProcess } from '../support/gatehouse-process.js';
import { tiedToWorker } from '../support/tied-to-worker.js';

const run = promisify(execFile);
const NS = `gh-dns-pair-${process.pid}`;
const FREE_PORT = 40001;
const TCP_TAKEN_PORT = 40000;

let skipReason: string | null = null;
let dir = '';
let holder: ChildProcess | null = null;

const inNamespace = (command: string, ...args: string[]) =>
  run('ip', ['netns', 'exec', NS, command, ...args], { timeout: 10_000 }).then((r) => r.stdout, (error: { stdout?: string }) => error.stdout ?? '');

beforeAll(async () => {
  skipReason = await addNetworkNamespace(NS);
  if (skipReason) return;
  await run('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', `net.ipv4.ip_local_port_range=${TCP_TAKEN_PORT} ${FREE_PORT}`]);
  const [hold, holdArgs] = tiedToWorker(process.execPath, ['-e', `require('net').createServer().listen(${TCP_TAKEN_PORT}, '127.0.0.1', () => console.log('held'))`]);
  holder = spawn('ip', ['netns', 'exec', NS, hold, ...holdArgs]);
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.once('data', () => resolve());
    holder!.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)));
  });
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-dns-port-pair-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify({
    // No master answers in the namespace: the drop-in serves SERVFAIL for its zone meanwhile.
    masters: ['127.0.0.1:5050'],
    refreshSeconds: 60,
    domain: 'mesos',
    port: 0,
    listener: '127.0.0.1',
    httpon: false,
    externalon: false,
  }));
}, 20_000);

afterAll(async () => {
  holder?.kill();
  if (!skipReason) await deleteNetworkNamespace(NS);
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('DNS workers on port 0: the pair whose TCP port is free, over UDP and TCP, in two starts', async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  for (let start = 1; start <= 2; start++) {
    const gatehouse = startGatehouseProcess(['mesos-dns', '-config', join(dir, 'config.json'), '-workers', '2'], { prefix: ['ip', 'netns', 'exec', NS] });
    try {
      const serving = await gatehouse.waitForLog((l) => l.msg === 'mesos-dns is serving', 20_000);
      expect({ start, port: (serving['dns'] as { udpPort: number }).udpPort }).toEqual({ start, port: FREE_PORT });
      for (const transport of ['+notcp', '+tcp']) {
        const answer = parseDig(await inNamespace('dig', '@127.0.0.1', '-p', String(FREE_PORT), 'web.marathon.mesos', transport, '+time=2', '+tries=1',
          // Outside the ephemeral range: both its ports are taken for TCP.
          '-b', '127.0.0.1#41000'));
        expect({ start, transport, status: answer.status }).toEqual({ start, transport, status: 'SERVFAIL' });
      }
      expect(gatehouse.logs.filter((l) => l.msg.includes('died'))).toEqual([]);
    } finally {
      await gatehouse.stop();
    }
  }
}, 60_000);
