// The gateway's limits against clients that abuse a connection (issue 11, items 4, 5 and 7), end to
// end: the real binary under both engines, with one worker and with two, raw sockets, and a
// keep-alive upstream that counts what reaches it. Timeouts are configured short so that the tests
// run fast; no test asserts a duration, only what happens before a bound. The five setups run side by
// side (each has its own upstream and binary; they mostly wait on timeouts), the cases of a setup one
// after another. With gateway.bodyTimeout at 1 s, 4 x 260 side-by-side slow uploaders once starved the
// 2-core machine past the 300 ms drip; at 3 s the drip has a tenfold margin.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { RawClient } from '../support/raw-http.js';
import { tokenFor } from '../support/token.js';
import { until as waitFor } from '../support/until.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `state` says what was seen instead, when the wait fails (a flaky run must say why). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000, state?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${state ? ` (${state()})` : ''}`);
    await sleep(20);
  }
}

/** What the upstream saw: pipelined-burst requests in flight, uploads whose body is still arriving. */
interface UpstreamStats {
  burstSeen: number;
  burstInFlight: number;
  burstMaxInFlight: number;
  uploadsOpen: number;
}

/** A keep-alive upstream: /burst/* answers after a millisecond, /upload reads its whole body first, /slow waits, upgrades echo. */
async function startUpstream(): Promise<{ server: Server; port: number; stats: UpstreamStats; stop(): Promise<void> }> {
  const upgraded = new Set<Socket>();
  const stats: UpstreamStats = { burstSeen: 0, burstInFlight: 0, burstMaxInFlight: 0, uploadsOpen: 0 };
  const server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '';
    const answer = (body: string): void => void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
    if (path.startsWith('/burst/')) {
      stats.burstSeen++;
      stats.burstMaxInFlight = Math.max(stats.burstMaxInFlight, ++stats.burstInFlight);
      setTimeout(() => {
        stats.burstInFlight--;
        answer(path);
      }, 1);
      return;
    }
    if (path.startsWith('/upload')) {
      stats.uploadsOpen++;
      let bytes = 0;
      let open = true;
      const done = (): void => {
        if (open) stats.uploadsOpen--;
        open = false;
      };
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        done();
        answer(`uploaded ${bytes}`);
      });
      req.on('close', done);
      return;
    }
    if (path.startsWith('/slow')) return void setTimeout(() => answer('slow answer'), 300);
    answer(`upstream ${path}`);
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    upgraded.add(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (data: Buffer) => socket.write(data));
    socket.on('error', () => socket.destroy());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = async (): Promise<void> => {
    for (const socket of upgraded) socket.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { server, port: (server.address() as AddressInfo).port, stats, stop };
}

interface Running { gatehouse: GatehouseProcess; port: number; dir: string; token: string }

async function startGatehouse(upstreamPort: number, engine: 'lean' | 'node', workers: number, limits: string[]): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-limits-${engine}-${workers}-`));
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
  await mkdir(join(dir, 'routes.d'));
  await writeFile(join(dir, 'routes.d', 'limits.yaml'), [
    'routes:',
    `  - { name: open, path: /open/, to: "http://127.0.0.1:${upstreamPort}", auth: none }`,
    `  - { name: priv, path: /priv/, to: "http://127.0.0.1:${upstreamPort}" }`,
  ].join('\n'));
  const config = join(dir, 'gatehouse.yaml');
  await premadeAuthn(join(dir, 'signing-key.pem'), join(dir, 'users.yaml'));
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns: { enabled: false }',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  engine: ${engine}`, `  workers: ${workers}`,
    ...limits.map((line) => `  ${line}`),
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  const gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  const token = await tokenFor(config, 'tester');
  return { gatehouse, port: Number(running['gatewayPort']), dir, token };
}

async function stopGatehouse(r: Running | undefined): Promise<void> {
  if (!r) return;
  r.gatehouse.child.kill('SIGKILL');
  await rm(r.dir, { recursive: true, force: true });
}

// Sibling suites marked concurrent run at once; \`it.sequential\` keeps each suite's cases in order.
const SIDE_BY_SIDE = { concurrent: true } as const;

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

// Both engines in one process, and the worker path once. These limits live in each engine's
// connection handling, which a worker runs unchanged (cli/gateway-worker.ts builds the same
// GatewayServer from the same gatewayOptions(config)); what workers add (the config sent over, sockets
// handed over by the primary) is engine-independent, so node with workers: 2 would prove nothing that
// node with 1 and lean with 2 do not. Both engines run under workers: 2 in gateway-security and
// gateway-smuggling.
const setups = [
  { engine: 'lean', workers: 1 },
  { engine: 'node', workers: 1 },
  { engine: 'lean', workers: 2 },
] as const;

for (const { engine, workers } of setups) {
  describe(`gateway.engine: ${engine}, workers: ${workers}`, SIDE_BY_SIDE, () => {
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let r: Running;
    const clients: RawClient[] = [];
    const open = async (): Promise<RawClient> => {
      const client = await RawClient.open(r.port);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      upstream = await startUpstream();
      r = await startGatehouse(upstream.port, engine, workers, ['bodyTimeout: 3s', 'discardBodyTimeout: 500ms', 'maxConnectionsPerAddress: 400']);
    }, 40_000);
    afterAll(async () => {
      for (const client of clients) client.destroy();
      await stopGatehouse(r);
      await upstream.stop();
    });

    it.sequential('a body that stops arriving: 408 once gateway.bodyTimeout passes, the connection is closed and the upstream request is let go', async () => {
      const before = upstream.stats.uploadsOpen;
      const client = await open();
      client.write('POST /open/upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789');
      await until(() => upstream.stats.uploadsOpen > before, 'the upload reaching the upstream');
      await client.closedByServer(8000);
      expect(client.responses().map((x) => [x.status, JSON.parse(x.body.toString()).code])).toEqual([[408, 'ERR_GATEWAY_BODY_TIMEOUT']]);
      await until(() => upstream.stats.uploadsOpen === before, 'the upstream request ending');
    });

    it.sequential('a refused request whose body trickles in and never completes (401): the answer, then the connection is closed after gateway.discardBodyTimeout', async () => {
      const client = await open();
      client.write('POST /priv/x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789');
      // A byte every 200 ms: never idle long enough for a keep-alive or body timeout.
      const drip = setInterval(() => client.write('x'), 200);
      try {
        await client.closedByServer(8000);
      } finally {
        clearInterval(drip);
      }
      expect(client.responses().map((x) => x.status)).toEqual([401]);
    });

    it.sequential('slow uploaders holding 260 connections to a proxied route: other clients of that upstream are still answered', async () => {
      const uploaders: RawClient[] = [];
      // A byte every 300 ms: slow, but well within gateway.bodyTimeout (3 s: at 1 s, a CI run starved of CPU
      // saw 96 of the 260 uploads answered 408 between two bytes), so the uploads stay.
      const drip = setInterval(() => {
        for (const client of uploaders) client.write('x');
      }, 300);
      try {
        for (let i = 0; i < 260; i++) {
          const client = await open();
          client.write('POST /open/upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789');
          uploaders.push(client);
        }
        await until(() => upstream.stats.uploadsOpen >= 256, 'the uploads reaching the upstream', 10_000, () => {
          const ended = uploaders.filter((c) => c.ended || c.closed);
          const answers = ended.flatMap((c) => c.responses().map((x) => x.status));
          return `${upstream.stats.uploadsOpen} open at the upstream; ${ended.length} uploaders closed, answered ${JSON.stringify(answers.slice(0, 10))}`;
        });
        const victims = [
          get('/open/victim-get'),
          'POST /open/victim-post HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello',
          get('/priv/victim-authed', `Authorization: token=${r.token}\r\n`),
        ];
        for (const request of victims) {
          const victim = await open();
          victim.write(request);
          const [answer] = await victim.responsesUntil(1, undefined, 5000);
          expect(answer!.status).toBe(200);
          victim.destroy();
        }
        expect(uploaders.filter((c) => c.ended || c.closed)).toEqual([]);
        expect(upstream.stats.uploadsOpen).toBeGreaterThanOrEqual(256);
      } finally {
        clearInterval(drip);
        for (const client of uploaders) client.destroy();
      }
      await until(() => upstream.stats.uploadsOpen === 0, 'the uploads ending at the upstream once their clients left');
    }, 30_000);

    it.sequential('1,000 pipelined GETs in one write: one at a time upstream, another client answered meanwhile, nothing more sent once the client leaves', async () => {
      const stats = upstream.stats;
      stats.burstSeen = 0;
      stats.burstMaxInFlight = 0;
      const attacker = await open();
      attacker.write(Array.from({ length: 1000 }, (_, i) => get(`/open/burst/${i}`)).join(''));
      await until(() => stats.burstSeen >= 20, 'the burst reaching the upstream');
      const victim = await open();
      victim.write(get('/priv/victim', `Authorization: token=${r.token}\r\n`));
      const [answer] = await victim.responsesUntil(1, undefined, 5000);
      expect(answer!.status).toBe(200);
      expect(stats.burstSeen).toBeLessThan(1000); // answered while the burst is still going on
      attacker.destroy();
      // The gateway hears the close; a request already on its way upstream may still arrive: wait until
      // none has for 300 ms (a fixed 300 ms was too short on a loaded machine), then watch for 700 ms more.
      let afterLeaving = stats.burstSeen;
      for (const deadline = Date.now() + 10_000; ; afterLeaving = stats.burstSeen) {
        await sleep(300);
        if (stats.burstSeen === afterLeaving) break;
        if (Date.now() > deadline) throw new Error(`the upstream still got requests 10 s after the client left: ${stats.burstSeen}`);
      }
      await sleep(700);
      expect(stats.burstSeen).toBe(afterLeaving);
      expect(afterLeaving).toBeLessThan(1000);
      expect(stats.burstMaxInFlight).toBe(1);
    }, 30_000);

    it.sequential('an upgrade pipelined behind a request still in progress waits for that answer', async () => {
      const client = await open();
      client.write(
        get('/open/slow') +
          get(
            '/open/ws',
            'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
          ),
      );
      await client.until((c) => c.text.includes('101 Switching Protocols'), 'the 101');
      const text = client.text;
      expect(text.indexOf('slow answer')).toBeGreaterThan(0);
      expect(text.indexOf('slow answer')).toBeLessThan(text.indexOf('101 Switching Protocols'));
      client.write('echo me');
      await client.until((c) => c.text.endsWith('echo me'), 'the echo over the upgraded connection');
    });
  });
}

for (const workers of [1, 2]) {
  describe(`gateway.maxConnectionsPerAddress and gateway.discardBodySize, workers: ${workers}`, SIDE_BY_SIDE, () => {
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let r: Running;

    beforeAll(async () => {
      upstream = await startUpstream();
      r = await startGatehouse(upstream.port, 'lean', workers, ['maxConnectionsPerAddress: 10', 'discardBodySize: 64k', 'discardBodyTimeout: 60s']);
    }, 40_000);
    afterAll(async () => {
      await stopGatehouse(r);
      await upstream.stop();
    });

    it.sequential(`30 connections from one address: each process keeps at most 10, closes the others at once, counts them in a metric and logs it`, async () => {
      const clients: RawClient[] = [];
      try {
        for (let i = 0; i < 30; i++) clients.push(await RawClient.open(r.port));
        // A request on every connection still open: each is either answered (kept) or closed unanswered
        // (refused, maybe only now: a starved process may not have got to it yet), so the count is final.
        for (const client of clients) if (!client.ended && !client.closed) client.write(get('/open/kept'));
        const settled = (c: RawClient): boolean => c.responses().length === 1 || ((c.ended || c.closed) && c.responses().length === 0);
        await until(() => clients.every(settled), 'every connection answered or closed', 10_000, () =>
          `${clients.filter((c) => c.responses().length > 0).length} answered, ${clients.filter((c) => c.ended || c.closed).length} closed`);
        const kept = clients.filter((c) => c.responses().length === 1);
        const closed = 30 - kept.length;
        expect(kept.length).toBeLessThanOrEqual(10 * workers);
        expect(kept.length).toBeGreaterThanOrEqual(10);
        expect(kept.map((c) => c.responses()[0]!.status)).toEqual(kept.map(() => 200));
        for (const client of clients) client.destroy();
        // Until the gateway has seen those clients go, a scrape from the same address is itself refused
        // (and counted): read until one is answered and its count holds every refusal.
        let scrapesRefused = 0;
        const scrape = async (): Promise<{ refused: number | null; scrapesRefused: number }> => {
          const metrics = await RawClient.open(r.port);
          metrics.write(get('/metrics', 'Connection: close\r\n'));
          await metrics.closedByServer();
          const answer = metrics.responses()[0];
          if (!answer) scrapesRefused++;
          const counted = answer && /^gatehouse_gateway_connections_refused_total\{reason="per_address"\} (\d+)$/m.exec(answer.body.toString());
          return { refused: counted ? Number(counted[1]) : null, scrapesRefused };
        };
        const seen = await waitFor(scrape, (v) => v.refused === closed + v.scrapesRefused, 10_000);
        expect(seen.refused).toBe(closed + seen.scrapesRefused);
        expect(r.gatehouse.logs.some((l) => l.msg.startsWith('gateway.maxConnectionsPerAddress'))).toBe(true);
      } finally {
        for (const client of clients) client.destroy();
      }
    });

    it.sequential('a refused request whose body keeps coming (401): the connection is closed once gateway.discardBodySize is dropped', async () => {
      const client = await RawClient.open(r.port);
      client.write('POST /priv/x HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n');
      await client.responsesUntil(1);
      const piece = Buffer.alloc(16 * 1024, 'a');
      let sent = 0;
      while (!client.ended && !client.closed && sent < 4 * 1024 * 1024) {
        client.write(piece);
        sent += piece.length;
        await sleep(2);
      }
      await client.closedByServer(5000);
      expect(client.responses().map((x) => x.status)).toEqual([401]);
      expect(sent).toBeLessThan(4 * 1024 * 1024);
      client.destroy();
    });
  });
}
