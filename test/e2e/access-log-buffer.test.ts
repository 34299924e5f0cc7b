// The access log under load and under a stalled stdout, with the real binary: lines are written in
// batches, none is lost at a clean stop, a stdout nobody reads never holds requests up (lines past
// `gateway.accessLog.buffer` are dropped and counted), and sampling keeps every failure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';

let dir: string;
let upstream: Server;
let upstreamPort = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-access-buffer-'));
  upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
  await mkdir(join(dir, 'routes.d'));
  await writeFile(join(dir, 'routes.d', 'app.yaml'), `routes:\n  - { name: app, path: /app/, to: "http://127.0.0.1:${upstreamPort}" }\n`);
  // Made before the three binaries start side by side (a first start would create them, and three at once would race).
  await premadeAuthn(join(dir, 'signing-key.pem'), join(dir, 'users.yaml'));
});

afterAll(async () => {
  await new Promise((r) => upstream?.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, accessLog: string[]): Promise<{ gatehouse: GatehouseProcess; base: string; token: string }> {
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns:', '  enabled: false',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, '  workers: 1',
    ...(accessLog.length ? ['  accessLog:', ...accessLog.map((l) => `    ${l}`)] : []),
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  const gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 45_000);
  const token = await tokenFor(config, 'loadtester');
  return { gatehouse, base: `http://127.0.0.1:${running['gatewayPort']}`, token };
}

/** `total` requests, `parallel` at a time; every status seen. */
async function flood(url: string, token: string, total: number, parallel = 16): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < total) {
      next++;
      const response = await fetch(url, { headers: { authorization: `token=${token}` } });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  }));
  return statuses;
}

// Each case has a binary of its own (its own config and log); they share only read-only files, and run
// side by side: most of their time is the binaries starting and stopping.
describe.concurrent('gateway.accessLog', () => {
  it('no line is lost at a clean stop: 300 requests, SIGTERM right after the last answer, 300 lines', async () => {
    const { gatehouse, base, token } = await start('all-lines', []);
    const statuses = await flood(`${base}/app/counted`, token, 300);
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(await gatehouse.stop()).toBe(0);
    const lines = gatehouse.logs.filter((l) => l.msg === 'request' && l['path'] === '/app/counted');
    expect(lines).toHaveLength(300);
    expect(lines.every((l) => l['status'] === 200 && l['uid'] === 'loadtester')).toBe(true);
  });

  it('a stdout nobody reads: every request is answered, lines past the buffer are dropped and counted, written + dropped = requests', async () => {
    const { gatehouse, base, token } = await start('stalled', ['buffer: 64k']);
    gatehouse.child.stdout.pause();
    const seenBefore = gatehouse.logs.length;
    try {
      // About 8.3 KB a line (a long query is logged as it is): 500 lines are 4.1 MB, far more than
      // the socket pair between us (a few hundred KiB) and the buffer (64 KiB) hold.
      const statuses = await flood(`${base}/app/stalled?pad=${'x'.repeat(8000)}`, token, 500);
      expect(statuses.filter((s) => s === 200)).toHaveLength(500);
      // The pause held: nothing reached us while the requests were answered.
      expect(gatehouse.logs.length).toBe(seenBefore);
    } finally {
      gatehouse.child.stdout.resume();
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const dropped = Number(/^gatehouse_gateway_access_log_dropped_total (\d+)/m.exec(metrics)?.[1] ?? 'NaN');
    expect(dropped).toBeGreaterThan(0);
    // The other log lines have a count of their own (none dropped here: stdout was read again before any).
    expect(metrics).toMatch(/^gatehouse_log_lines_dropped_total 0$/m);
    expect(await gatehouse.stop()).toBe(0);
    // What was not dropped was written: the two add up to every request.
    const written = gatehouse.logs.filter((l) => l.msg === 'request' && String(l['path']).startsWith('/app/stalled?')).length;
    expect(written + dropped).toBe(500);
  }, 60_000);

  it('a stdout nobody reads at all: SIGTERM still ends it (the last lines are kept or dropped, never waited on for ever)', async () => {
    const { gatehouse, base, token } = await start('never-read', ['buffer: 64k']);
    gatehouse.child.stdout.pause();
    try {
      // 1.7 MB of access lines: the socket pair and the buffer are full, as for a log pipe nobody drains.
      const statuses = await flood(`${base}/app/never-read?pad=${'x'.repeat(8000)}`, token, 200);
      expect(statuses.filter((s) => s === 200)).toHaveLength(200);
      // Its "stopping" line cannot be written: it waits a moment, then the stop goes on.
      const exited = gatehouse.stop();
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
      if (typeof code === 'string') gatehouse.child.kill('SIGKILL');
      expect(code).toBe(0);
    } finally {
      gatehouse.child.stdout.resume();
    }
  }, 40_000);

  it('a stdout its reader closed: SIGTERM still ends it (what was buffered is dropped, not retried for ever)', async () => {
    const { gatehouse, base, token } = await start('reader-gone', []);
    // One line, held in the buffer (batches are written at ~3.5 KB, or every 250 ms).
    expect((await fetch(`${base}/app/reader-gone`, { headers: { authorization: `token=${token}` } })).status).toBe(200);
    gatehouse.child.stdout.destroy();
    const exited = gatehouse.stop();
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    if (typeof code === 'string') gatehouse.child.kill('SIGKILL');
    expect(code).toBe(0);
  }, 40_000);

  it('sample: 0 logs no successful request, and every failure', async () => {
    const { gatehouse, base, token } = await start('sampled', ['sample: 0']);
    await flood(`${base}/app/sampled-ok`, token, 50, 4);
    const denied = await fetch(`${base}/app/sampled-denied`);
    expect(denied.status).toBe(401);
    await gatehouse.waitForLog((l) => l.msg === 'request' && l['path'] === '/app/sampled-denied', 5000);
    expect(await gatehouse.stop()).toBe(0);
    expect(gatehouse.logs.filter((l) => l.msg === 'request' && l['path'] === '/app/sampled-ok')).toHaveLength(0);
  });
});
