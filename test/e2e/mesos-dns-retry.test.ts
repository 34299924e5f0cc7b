// `gatehouse mesos-dns` with no reachable master keeps running and retries, as Mesos-DNS does: zone
// names get SERVFAIL until the first state arrives, other names are forwarded to the upstream
// meanwhile (a DNS server on a local port), and once the master comes up its tasks are served.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DnsServer, RecordSet } from '../../dns/index.js';
import { dig } from '../support/dig.js';
import { startDnsServer, TEST_ZONE } from '../support/dns-server.js';
import { REPO_ROOT, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';

let dir: string;
let upstream: DnsServer;
let master: Server | undefined;
let masterPort: number;
let masterUp = false;
let dnsPort: number;
let gatehouse: GatehouseProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-mesos-dns-retry-'));
  const web = { a: ['10.9.8.7'], aaaa: [], srv: [] };
  const records: RecordSet = { names: new Map([['web.corp.', web]]), a: new Map([['web.corp.', web.a]]), aaaa: new Map(), srv: new Map(), enumerate: () => [] };
  const started = await startDnsServer(records, { zone: { ...TEST_ZONE, domain: 'corp' } });
  upstream = started.server;
  // The master's port is the kernel's pick and held from the start (no port found free and released,
  // which another process may take meanwhile); until the test brings the master "up", it cuts every
  // connection without an answer, as a master that is down or restarting does.
  const state = JSON.parse(await readFile(join(REPO_ROOT, 'config', 'sample-state.json'), 'utf8')) as Record<string, unknown>;
  master = createServer((req, res) => {
    if (!masterUp) return void req.socket.destroy();
    res.writeHead(req.url === '/master/state' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/master/state' ? JSON.stringify(state) : '{}');
  });
  await new Promise<void>((resolve) => master!.listen(0, '127.0.0.1', resolve));
  masterPort = (master.address() as AddressInfo).port;
  state['leader'] = `master@127.0.0.1:${masterPort}`;
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({
    masters: [`127.0.0.1:${masterPort}`],
    refreshSeconds: 1,
    stateTimeoutSeconds: 2,
    domain: 'mesos',
    port: 0,
    listener: '127.0.0.1',
    httpon: false,
    externalon: true,
    resolvers: [`127.0.0.1:${started.port}`],
  }));
  gatehouse = startGatehouseProcess(['mesos-dns', '-config', config]);
  dnsPort = ((await gatehouse.waitForLog((l) => l.msg === 'mesos-dns is serving', 20_000))['dns'] as { udpPort: number }).udpPort;
});

afterAll(async () => {
  await gatehouse?.stop();
  await upstream?.close();
  master?.closeAllConnections();
  await new Promise<void>((resolve) => (master ? master.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

it('without a master: keeps running, SERVFAIL for the zone, other names forwarded; then serves the master\'s tasks', async () => {
  const waiting = await gatehouse.waitForLog((l) => l.msg.startsWith('no master answered yet'));
  expect(waiting['retryInSeconds']).toBe(1);
  expect((await dig(dnsPort, 'hello.marathon.mesos')).status).toBe('SERVFAIL');
  const forwarded = await dig(dnsPort, 'web.corp');
  expect({ status: forwarded.status, answer: forwarded.answer.map((r) => r.data) }).toEqual({ status: 'NOERROR', answer: ['10.9.8.7'] });
  expect(gatehouse.child.exitCode).toBeNull();

  // The master comes up, on the configured address.
  masterUp = true;
  await gatehouse.waitForLog((l) => l.msg.startsWith('first state received'), 15_000);
  const served = await until(() => dig(dnsPort, 'hello.marathon.mesos'), (r) => r.status === 'NOERROR', 10_000);
  expect(served.status).toBe('NOERROR');
  expect(served.answer.length).toBeGreaterThan(0);
}, 60_000);
