// dns.workers: 2 on the real binary. Both workers answer UDP and TCP (their own counters prove it),
// both converge on a new snapshot's records, a query loop across snapshot swaps loses nothing, names
// outside the zone are forwarded from every worker, and a killed worker is replaced.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { query, rcodeOf } from '../support/dns-client.js';
import { startDnsServer } from '../support/dns-server.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { masterState, type TaskSpec } from '../support/master-state.js';
import { until } from '../support/until.js';
import type { DnsServer, RecordSet } from '../../dns/index.js';
import type { DnsWorkersStatus } from '../../cli/dns-workers.js';

const AGENT = '0f4b6e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b-S1';

/** A state with `apps` Marathon apps of two tasks each; `extra` adds one more app by name. */
function state(apps: number, extra?: string): unknown {
  const names = Array.from({ length: apps }, (_, i) => `web${i}`);
  if (extra) names.push(extra);
  const tasks: TaskSpec[] = names.flatMap((name, a) =>
    [0, 1].map((t) => ({
      id: `${name}.${(0x1000 + a * 2 + t).toString(16)}-5c6d-11ee-8e7f-0242ac110002`,
      name,
      agent: AGENT,
      ports: `[${31000 + a * 2 + t}-${31000 + a * 2 + t}]`,
      statuses: [{ timestamp: 1_700_000_000 + a, networks: [{ ips: [`10.7.${a}.${t + 1}`] }] }],
    })),
  );
  return masterState({
    leader: 'master@127.0.0.1:5050',
    agents: [{ id: AGENT, host: '10.7.255.1', hostname: 'agent-1.test' }],
    frameworks: [{ id: 'fw-marathon', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks }],
  });
}

let dir: string;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let httpPort: number;
let upstream: DnsServer;

function writeState(doc: unknown): void {
  // Whole files only: the file source never reads a half-written document.
  writeFileSync(join(dir, 'state.next'), JSON.stringify(doc));
  renameSync(join(dir, 'state.next'), join(dir, 'state.json'));
}

async function workers(): Promise<DnsWorkersStatus> {
  return (await (await fetch(`http://127.0.0.1:${httpPort}/v1/workers`)).json()) as DnsWorkersStatus;
}

/** The pid of the process that replaced `dead` in the first slot, polled every 10 ms (15 s at most). */
async function replacementOf(dead: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pid = (await workers()).workers[0]!.pid;
    if (pid !== null && pid !== dead) return pid;
    if (Date.now() > deadline) throw new Error(`no worker replaced pid ${dead} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `metric{...worker="n"...}` values, summed per worker. */
async function perWorker(metric: string, label = ''): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) || !line.includes(label)) continue;
    const worker = /worker="(\d+)"/.exec(line)?.[1];
    if (worker) sums.set(worker, (sums.get(worker) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return sums;
}

/** Sends `count` UDP queries at once from one socket; resolves with the rcode of each (-1: no answer within 2 s). */
function udpBurst(name: string, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const codes = new Array<number>(count).fill(-1);
    let answered = 0;
    const timer = setTimeout(() => finish(), 2000);
    const finish = () => {
      clearTimeout(timer);
      socket.close();
      resolve(codes);
    };
    socket.on('message', (reply) => {
      const id = reply.readUInt16BE(0);
      if (id < count && codes[id] === -1) {
        codes[id] = rcodeOf(reply);
        if (++answered === count) finish();
      }
    });
    socket.bind(0, '127.0.0.1', () => {
      for (let id = 0; id < count; id++) socket.send(query(name, 1, { id }), dnsPort, '127.0.0.1');
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-dns-workers-'));
  const names = new Map([['outside.example.', { a: ['192.0.2.53'], aaaa: [], srv: [] }]]);
  const records = { names } as unknown as RecordSet;
  upstream = (await startDnsServer(null, { zone: { ...(await import('../support/dns-server.js')).TEST_ZONE, domain: 'example' } })).server;
  upstream.setRecords(records, 1);
  upstream.setUnavailable(null);
  writeState(state(20));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    [
      'cluster:',
      '  source: file',
      `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns:',
      '  listen: 127.0.0.1:0',
      '  http: 127.0.0.1:0',
      '  workers: 2',
      `  resolvers: ["127.0.0.1:${upstream.address().udpPort}"]`,
      'gateway: { enabled: false }',
      'authn: { enabled: false }',
      'mesh: { enabled: false }',
      'log: { level: info }',
    ].join('\n'),
  );
  gatehouse = startGatehouseProcess(['run', '--config', join(dir, 'gatehouse.yaml')]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  httpPort = running['dnsHttpPort'] as number;
  await until(workers, (s) => s.converged && s.workers.length === 2 && Object.keys(s.published).length > 0, 15_000);
}, 45_000);

afterAll(async () => {
  await gatehouse?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dns.workers: 2', () => {
  it('answers UDP from both workers', async () => {
    const seen = await until(
      async () => {
        const codes = await udpBurst('web3.marathon.mesos', 200);
        expect(codes.filter((c) => c !== 0)).toEqual([]);
        return perWorker('gatehouse_dns_transport_responses_total', 'transport="udp"');
      },
      (sums) => (sums.get('1') ?? 0) > 0 && (sums.get('2') ?? 0) > 0,
      15_000,
    );
    expect([...seen.keys()].sort()).toEqual(['1', '2']);
  });

  it('answers TCP from both workers', async () => {
    const seen = await until(
      async () => {
        const answers = await Promise.all(Array.from({ length: 8 }, () => dig(dnsPort, 'web4.marathon.mesos', 'A', ['+tcp'])));
        expect(answers.map((a) => a.answer.map((r) => r.data).sort())).toEqual(Array(8).fill(['10.7.4.1', '10.7.4.2']));
        return perWorker('gatehouse_dns_transport_responses_total', 'transport="tcp"');
      },
      (sums) => (sums.get('1') ?? 0) > 0 && (sums.get('2') ?? 0) > 0,
      20_000,
    );
    expect([...seen.keys()].sort()).toEqual(['1', '2']);
  });

  it('forwards names outside the zone from both workers', async () => {
    const seen = await until(
      async () => {
        const codes = await udpBurst('outside.example', 50);
        expect(codes.filter((c) => c !== 0)).toEqual([]);
        return perWorker('gatehouse_dns_forwarded_total');
      },
      (sums) => (sums.get('1') ?? 0) > 0 && (sums.get('2') ?? 0) > 0,
      15_000,
    );
    expect(seen.size).toBe(2);
    expect((await dig(dnsPort, 'outside.example', 'A')).answer.map((r) => r.data)).toEqual(['192.0.2.53']);
  });

  it('converges every worker on a new snapshot, and loses no query across the swaps', async () => {
    const before = await workers();
    // A bounded query loop (names in every state) while three new snapshots are swapped in.
    const loop = (async () => {
      const failures: number[] = [];
      for (let round = 0; round < 30; round++) failures.push(...(await udpBurst(`web${round % 20}.marathon.mesos`, 50)).filter((c) => c !== 0));
      return failures;
    })();
    for (let i = 0; i < 3; i++) {
      writeState(state(20, `fresh${i}`));
      await until(dig.bind(null, dnsPort, `fresh${i}.marathon.mesos`, 'A'), (r) => r.answer.length === 2, 10_000);
    }
    expect(await loop).toEqual([]);
    const after = await until(workers, (s) => s.converged, 10_000);
    expect(after.published['mesos']!.generation).toBeGreaterThan(before.published['mesos']!.generation);
    for (const w of after.workers) expect(w.zones['mesos']).toEqual(after.published['mesos']);
    // Many queries, so both workers answer: every answer has the last snapshot's name.
    const codes = await udpBurst('fresh2.marathon.mesos', 100);
    expect(codes.filter((c) => c !== 0)).toEqual([]);
  });

  it('replaces a killed worker; the replacement counts as converged only once it serves the current records', async () => {
    const before = await workers();
    let victim = before.workers[0]!;
    let newPid: number | null = null;
    // The replacement is stopped (SIGSTOP) as soon as the status names it, so that it holds still before
    // it serves: its slot must then show neither the dead process's zones nor `converged`. Node starts
    // in well over 100 ms, the status is polled every 10 ms; should it still have got through, its
    // slot is killed again (at most three times).
    for (let attempt = 1; newPid === null; attempt++) {
      process.kill(victim.pid!, 'SIGKILL');
      const replaced = await replacementOf(victim.pid!);
      process.kill(replaced, 'SIGSTOP');
      const alreadyServing = gatehouse.logs.some((l) => l.msg === 'DNS listening (UDP and TCP)' && l['pid'] === replaced);
      if (alreadyServing && attempt < 3) {
        process.kill(replaced, 'SIGCONT');
        victim = { ...victim, pid: replaced };
        continue;
      }
      try {
        const held = await workers();
        expect(held.converged).toBe(false);
        expect(held.workers[0]!).toMatchObject({ pid: replaced, serving: false });
      } finally {
        process.kill(replaced, 'SIGCONT');
      }
      newPid = replaced;
    }
    const after = await until(workers, (s) => s.converged && s.workers[0]!.pid === newPid, 15_000);
    expect(after.workers[0]).toMatchObject({ serving: true, zones: { mesos: before.published['mesos'] } });
    expect(after.workers[1]!.pid).toBe(before.workers[1]!.pid);
    await gatehouse.waitForLog((l) => l.msg === 'DNS worker died; starting a new one' && l['signal'] === 'SIGKILL');
    // Converged means listening: the stop after this case drains it rather than waiting out the kill
    // timer of a worker still starting. Its slot's counters show answers from it (queries are sent until
    // they do; every answer is right).
    await gatehouse.waitForLog((l) => l.msg === 'DNS listening (UDP and TCP)' && l['pid'] === newPid, 2000);
    // A burst goes from one socket, so to one worker: small bursts, sent until one reached the new worker.
    const slot = String(before.workers[0]!.worker);
    const answered = await until(
      async () => {
        const codes = await udpBurst('web5.marathon.mesos', 20);
        expect(codes.filter((c) => c !== 0)).toEqual([]);
        return perWorker('gatehouse_dns_transport_responses_total', 'transport="udp"');
      },
      (sums) => (sums.get(slot) ?? 0) > 0,
      15_000,
    );
    expect(answered.get(slot)).toBeGreaterThan(0);
  });
});
