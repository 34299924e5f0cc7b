// Long-lived traffic through the gateway while route files reload 20 times under load: a WebSocket,
// an SSE stream and keep-alive requests must see no reset, no refused connection, no lost message.
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { RawClient } from '../support/raw-http.js';
import { tokenFor } from '../support/token.js';
import { until } from '../support/until.js';

// Under both HTTP engines (gateway.engine). Lean runs two gateway workers, as `workers: auto` gives on
// two cores: every reload then reaches the workers over IPC while they serve. What workers add is the
// same for both engines (gateway-limits.test.ts), so node runs the in-process gateway.
describe.each([
  { engine: 'lean', workers: 2 },
  { engine: 'node', workers: 1 },
] as const)('gateway.engine: $engine, workers: $workers', ({ engine, workers }) => {
  let dir: string;
  let gatehouse: GatehouseProcess;
  let base: string;
  let token: string;
  let upstream: Server;
  let upstreamPort: number;
  let wss: WebSocketServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-streams-'));
    upstream = createServer((req, res) => {
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let n = 0;
        const timer = setInterval(() => res.write(`data: ${n++}\n\n`), 20);
        req.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${req.url}`);
    });
    wss = new WebSocketServer({ server: upstream });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${data.toString()}`)));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
    await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
    await mkdir(join(dir, 'routes.d'));
    await writeFile(join(dir, 'routes.d', 'app.yaml'), `routes:\n  - { name: app, path: /app/, to: "http://127.0.0.1:${upstreamPort}" }\n`);
    await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns: { enabled: false }',
      'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  engine: ${engine}`, `  workers: ${workers}`,
      'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    ].join('\n'));
    gatehouse = startGatehouseProcess(['run', '--config', config]);
    base = `127.0.0.1:${(await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort']}`;
    token = await tokenFor(config, 'streams');
  });

  afterAll(async () => {
    await gatehouse?.stop();
    wss?.close();
    await new Promise((r) => upstream?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  describe('WebSocket frames sent before the 101 arrives', () => {
    // A client need not wait for the 101: bytes right behind the upgrade request (the head) and bytes
    // that come while the gateway still verifies the token and dials the upstream must all get through.
    it('reach the upstream, and their echoes come back', async () => {
      const frame = (text: string): Buffer => {
        const payload = Buffer.from(text);
        const mask = randomBytes(4);
        return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
      };
      const client = await RawClient.open(Number(base.split(':')[1]));
      const upgrade = `GET /app/socket HTTP/1.1\r\nHost: ${base}\r\nAuthorization: token=${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`;
      client.write(Buffer.concat([Buffer.from(upgrade), frame('in-head')]));
      await new Promise((resolve) => setTimeout(resolve, 5));
      client.write(frame('meanwhile'));
      try {
        await client.until((c) => c.text.includes('echo in-head') && c.text.includes('echo meanwhile'), 'both echoes');
      } finally {
        client.destroy();
      }
      expect(client.text).toMatch(/^HTTP\/1\.1 101 /);
    });
  });

  describe('streams across 20 route reloads under load', () => {
    it('WebSocket, SSE and keep-alive requests lose nothing', async () => {
      // WebSocket through the gateway, authenticated.
      const ws = new WebSocket(`ws://${base}/app/socket`, { headers: { authorization: `token=${token}` } });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const echoes: string[] = [];
      let wsClosed = false;
      ws.on('message', (m) => echoes.push(m.toString()));
      ws.on('close', () => (wsClosed = true));

      // SSE stream, read as it arrives.
      const events: number[] = [];
      let sseError: Error | null = null;
      const sse = httpRequest(
        { host: '127.0.0.1', port: Number(base.split(':')[1]), path: '/app/events', headers: { authorization: `token=${token}` } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            for (const m of chunk.matchAll(/data: (\d+)/g)) events.push(Number(m[1]));
          });
          res.on('error', (e) => (sseError = e));
        },
      );
      sse.on('error', (e) => (sseError = e));
      sse.end();

      // Keep-alive load while the route file is rewritten 20 times: eight connections, each with a request
      // in flight most of the time and a few milliseconds between them. Requests as fast as the cores
      // allow prove no more across a reload and would take the CPU from the test files running beside.
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      let requests = 0;
      const failures: string[] = [];
      let loading = true;
      const load = Promise.all(Array.from({ length: 8 }, async () => {
        while (loading) {
          try {
            const response = await fetchWithAgent(agent, `/app/r${requests++}`);
            if (response !== 200) failures.push(`status ${response}`);
          } catch (error) {
            failures.push((error as Error).message);
          }
          await new Promise((resolve) => setTimeout(resolve, 4));
        }
      }));
      // Each rewrite changes a route (timeouts 61 s, 62 s…; the first file has the default 60 s) and waits
      // for its reload: the route table debounces file events and skips a reload that changes nothing,
      // so rewrites in quick succession would collapse into one and the test would prove nothing about twenty.
      const reloads = () => gatehouse.logs.filter((l) => l.msg === 'routes reloaded').length;
      const before = reloads();
      for (let i = 0; i < 20; i++) {
        // Written aside and renamed into place, as editors save: a reader never sees a half-written file.
        const next = join(dir, 'routes.d', '.app.yaml.next');
        await writeFile(next, `# reload ${i}\nroutes:\n  - { name: app, path: /app/, to: "http://127.0.0.1:${upstreamPort}", timeout: ${61 + i}s }\n`);
        await rename(next, join(dir, 'routes.d', 'app.yaml'));
        ws.send(`m${i}`);
        await until(async () => reloads(), (n) => n >= before + i + 1, 5_000);
      }
      loading = false;
      await load;
      await until(async () => echoes.length, (n) => n === 20, 5_000);
      agent.destroy();
      sse.destroy();
      ws.close();

      expect(reloads() - before).toBe(20);
      expect(gatehouse.logs.filter((l) => l.msg === 'route file rejected; its last good routes keep serving')).toEqual([]);
      expect(failures).toEqual([]);
      expect(requests).toBeGreaterThan(100);
      expect(wsClosed).toBe(false);
      expect(echoes).toEqual(Array.from({ length: 20 }, (_, i) => `echo m${i}`));
      expect(sseError).toBeNull();
      expect(events.length).toBeGreaterThan(20);
      expect(events).toEqual(Array.from({ length: events.length }, (_, i) => i));
      function fetchWithAgent(a: Agent, path: string): Promise<number> {
        return new Promise((resolve, reject) => {
          const req = httpRequest(
            { host: '127.0.0.1', port: Number(base.split(':')[1]), path, agent: a, headers: { authorization: `token=${token}` } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      }
    }, 30_000);
  });
});
