// gateway.workers and the gateway's limits, end to end: the real binary with `workers: 2` (and the
// in-process path, `workers: 1`, for what both must do), real sockets, requests on fresh connections;
// the first suite uses `accept: round-robin` so that the primary spreads them over the workers
// evenly, the second the default `accept: shared`; who served what is read from the access log (each
// worker's lines carry its pid).
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess, type LogLine } from '../support/gatehouse-process.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { StartAhead } from '../support/start-ahead.js';

/** Polls until the check holds, failing with its description after timeoutMs. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const upstreams: Server[] = [];
/** Slow requests the upstreams hold (answered after 1.5 s): the drain test waits for one to be in flight. */
let slowInFlight = 0;
async function upstream(): Promise<number> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, bytes }));
      if (req.url?.startsWith('/slow')) {
        slowInFlight++;
        setTimeout(() => {
          slowInFlight--;
          answer();
        }, 1500);
      } else answer();
    });
  });
  upstreams.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const state = (helloPort: number | null) => ({
  leader: 'master@127.0.0.1:5050',
  slaves: [{ id: 'agent-S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'localhost' }],
  frameworks: [
    {
      id: 'fw',
      name: 'marathon',
      pid: 'scheduler@127.0.0.1:8080',
      tasks:
        helloPort === null
          ? []
          : [
              {
                id: 'hello.1',
                name: 'hello',
                framework_id: 'fw',
                slave_id: 'agent-S0',
                state: 'TASK_RUNNING',
                resources: { ports: `[${helloPort}-${helloPort}]` },
                labels: [{ key: 'DCOS_SERVICE_NAME', value: 'hello' }],
                statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }],
              },
            ],
    },
  ],
});

/** A GET on a connection of its own (no keep-alive), so that every request is a new accept. */
function freshGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes in, the whole answer out (the server closes the connection after a limit error). */
function raw(port: number, chunks: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

interface Running { gatehouse: GatehouseProcess; port: number; dir: string; helloPort: number; openPort: number }

async function start(workers: number, accept: 'shared' | 'round-robin' = 'round-robin'): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-workers-${workers}-`));
  const helloPort = await upstream();
  const openPort = await upstream();
  await writeFile(join(dir, 'state.json'), JSON.stringify(state(null)));
  await mkdir(join(dir, 'routes.d'));
  await writeFile(join(dir, 'routes.d', 'open.yaml'), [
    'routes:',
    `  - { name: open, path: /open/, to: "http://127.0.0.1:${openPort}", auth: none }`,
    '  - { name: hello, path: /hello-app/, service: hello, auth: none }',
  ].join('\n'));
  await premadeAuthn(join(dir, 'signing-key.pem'), join(dir, 'users.yaml'));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns: { enabled: false }',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    `  workers: ${workers}`, `  accept: ${accept}`, '  maxBodySize: 1k', '  maxHeaderSize: 4k', '  shutdownTimeout: 5s',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  const gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  return { gatehouse, port: Number(running['gatewayPort']), dir, helloPort, openPort };
}

/** Which of these processes hold the socket listening on the port (from /proc: its inode, then their fds). */
async function listeningHolders(port: number, pids: readonly number[]): Promise<number[]> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  const holders: number[] = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (links.some((link) => inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? ''))) holders.push(pid);
  }
  return holders;
}

const workerPids = (logs: LogLine[]): number[] => [...new Set(logs.filter((l) => l.msg === 'gateway worker is listening').map((l) => Number(l['pid'])))];

const servedBy = (logs: LogLine[], route: string): Set<unknown> =>
  new Set(logs.filter((l) => l.msg === 'request' && l['route'] === route).map((l) => l['pid']));

const generation = async (r: Running): Promise<number> => (JSON.parse((await freshGet(r.port, '/health')).body) as { generation: number }).generation;
/** Until ten requests on new connections are all answered with a status `ok` takes (both workers then serve alike). */
const allAnswer = (r: Running, path: string, ok: number | ((status: number) => boolean)) =>
  until(async () =>
    (await Promise.all(Array.from({ length: 10 }, () => freshGet(r.port, path)))).every((x) => (typeof ok === 'number' ? x.status === ok : ok(x.status))),
  );
const addedFile = (r: Running) => join(r.dir, 'routes.d', 'added.yaml');
const addedRoute = (r: Running) => `routes:\n  - { name: added, path: /added/, to: "http://127.0.0.1:${r.openPort}", auth: none }\n`;

// Each case runs alone and in any order: what one needs from another (hello in the snapshot, the added
// route) it makes itself, and the cases that make them start from their absence.
async function helloInSnapshot(r: Running): Promise<void> {
  await writeFile(join(r.dir, 'state.json'), JSON.stringify(state(r.helloPort)));
  await allAnswer(r, '/hello-app/', 200);
}
async function addedRouteServed(r: Running): Promise<void> {
  await writeFile(addedFile(r), addedRoute(r));
  await allAnswer(r, '/added/', 200);
}

const stopRunning = async (r: Running): Promise<void> => {
  r.gatehouse.child.kill('SIGKILL');
  await rm(r.dir, { recursive: true, force: true });
};
// The describes below in their order; each one's binary boots while the one before it is in use.
const SETUPS = { 'round-robin, 2': [2, 'round-robin'], 'shared, 2': [2, 'shared'], 'shared, 1': [1, 'shared'] } as const;
type SetupName = keyof typeof SETUPS;
const setups = new StartAhead(Object.keys(SETUPS) as SetupName[], (name) => start(SETUPS[name][0], SETUPS[name][1]), stopRunning);

afterAll(async () => {
  await setups.stopAll();
  for (const s of upstreams) await new Promise((r) => s.close(r));
});

describe('gateway.workers: 2', () => {
  let r: Running;
  beforeAll(async () => {
    r = await setups.take('round-robin, 2');
  }, 40_000);
  afterAll(async () => {
    setups.release('round-robin, 2');
    if (r) await stopRunning(r);
  });

  it('two workers listen on one port and both serve requests', async () => {
    const listening = r.gatehouse.logs.filter((l) => l.msg === 'gateway worker is listening');
    expect(new Set(listening.map((l) => l['pid'])).size).toBe(2);
    expect(new Set(listening.map((l) => l['port']))).toEqual(new Set([r.port]));
    for (let i = 0; i < 20; i++) expect((await freshGet(r.port, `/open/${i}`)).status).toBe(200);
    await until(() => servedBy(r.gatehouse.logs, 'file:open').size === 2);
  });

  it('accept: round-robin: only the primary holds the listening socket, the workers get connections from it', async () => {
    const workers = workerPids(r.gatehouse.logs);
    expect(await listeningHolders(r.port, [r.gatehouse.child.pid!, ...workers])).toEqual([r.gatehouse.child.pid]);
  });

  it('a new snapshot reaches every worker', async () => {
    if ((await freshGet(r.port, '/hello-app/')).status !== 503) {
      await writeFile(join(r.dir, 'state.json'), JSON.stringify(state(null)));
      await allAnswer(r, '/hello-app/', 503);
    }
    const before = await generation(r);
    const from = r.gatehouse.logs.length;
    await writeFile(join(r.dir, 'state.json'), JSON.stringify(state(r.helloPort)));
    await until(async () => (await freshGet(r.port, '/hello-app/')).status === 200);
    for (let i = 0; i < 20; i++) expect((await freshGet(r.port, '/hello-app/')).status).toBe(200);
    // Access-log lines are written in batches (at most 250 ms late): wait for both workers' lines.
    await until(() => servedBy(r.gatehouse.logs.slice(from), 'file:hello').size === 2, 5000).catch(() => undefined);
    expect(servedBy(r.gatehouse.logs.slice(from), 'file:hello').size).toBe(2);
    const health = JSON.parse((await freshGet(r.port, '/health')).body) as { generation: number; state: string };
    expect(health).toMatchObject({ state: 'fresh', generation: before + 1 });
  });

  it('a new route file reaches every worker', async () => {
    if (await readFile(addedFile(r)).then(() => true, () => false)) {
      await rm(addedFile(r));
      await allAnswer(r, '/added/', (status) => status !== 200);
    }
    const from = r.gatehouse.logs.length;
    await writeFile(addedFile(r), addedRoute(r));
    await until(async () => (await freshGet(r.port, '/added/')).status === 200);
    await allAnswer(r, '/added/', 200);
    // Access-log lines are written in batches (at most 250 ms late): wait for both workers' lines.
    await until(() => servedBy(r.gatehouse.logs.slice(from), 'file:added').size === 2, 5000).catch(() => undefined);
    expect(servedBy(r.gatehouse.logs.slice(from), 'file:added').size).toBe(2);
  });

  it('/metrics adds up every process: the primary store and both workers', async () => {
    // Its own 20 requests (it runs alone too), spread over both workers by the primary's round robin.
    for (let i = 0; i < 20; i++) expect((await freshGet(r.port, `/open/m${i}`)).status).toBe(200);
    const text = (await freshGet(r.port, '/metrics')).body;
    expect(text).toMatch(new RegExp(`^gatehouse_cluster_snapshot_generation ${await generation(r)}$`, 'm'));
    const open = /^gatehouse_gateway_requests_total\{route="file:open",status="200"\} (\d+)$/m.exec(text);
    expect(Number(open?.[1])).toBeGreaterThanOrEqual(20);
    expect(text.match(/^# TYPE gatehouse_gateway_requests_total counter$/gm)).toHaveLength(1);
  });

  it('a killed worker is logged and replaced, and the new one has the current snapshot and routes', async () => {
    await helloInSnapshot(r);
    await addedRouteServed(r);
    const pids = new Set(r.gatehouse.logs.filter((l) => l.msg === 'gateway worker is listening').map((l) => Number(l['pid'])));
    const victim = [...pids][0]!;
    process.kill(victim, 'SIGKILL');
    const died = await r.gatehouse.waitForLog((l) => l.msg === 'gateway worker died; starting a new one');
    expect(died).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    const replaced = await r.gatehouse.waitForLog((l) => l.msg === 'gateway worker is listening' && !pids.has(Number(l['pid'])), 20_000);
    const before = r.gatehouse.logs.length;
    await until(async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => freshGet(r.port, '/hello-app/')));
      return results.every((x) => x.status === 200) && servedBy(r.gatehouse.logs.slice(before), 'file:hello').has(replaced['pid']);
    });
    expect((await freshGet(r.port, '/added/')).status).toBe(200);
  });
});

for (const workers of [2, 1]) {
  describe(`gateway.workers: ${workers}: limits and SIGTERM`, () => {
    let r: Running;
    const name: SetupName = workers === 2 ? 'shared, 2' : 'shared, 1';
    beforeAll(async () => {
      r = await setups.take(name);
    }, 40_000);
    afterAll(async () => {
      setups.release(name);
      // The drain case stops it with SIGTERM; a run that failed before it leaves it running.
      if (r) await stopRunning(r);
    });

    if (workers === 2) {
      it('accept: shared (the default): every worker holds the listening socket and accepts itself; 64 new connections at once are all served', async () => {
        const workers = workerPids(r.gatehouse.logs);
        expect(workers).toHaveLength(2);
        expect((await listeningHolders(r.port, workers)).sort()).toEqual([...workers].sort());
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => freshGet(r.port, `/open/burst-${i}`)));
        expect(results.map((x) => x.status)).toEqual(Array(64).fill(200));
      });
    }

    it('413 for a declared Content-Length over gateway.maxBodySize, before reading the body', async () => {
      const answer = await raw(r.port, ['POST /open/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000000\r\n\r\n']);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/connection: close/i);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ title: 'Payload Too Large', code: 'ERR_GATEWAY_BODY_TOO_LARGE' });
    });

    it('413 for a chunked body once it passes the limit; under it, the body reaches the upstream', async () => {
      const chunk = (size: number) => `${size.toString(16)}\r\n${'a'.repeat(size)}\r\n`;
      const small = await raw(r.port, [`POST /open/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk(600)}0\r\n\r\n`]);
      expect(small).toMatch(/^HTTP\/1\.1 200 /);
      expect(small).toContain('"bytes":600');
      const large = await raw(r.port, [`POST /open/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}`, chunk(600)]);
      expect(large).toMatch(/^HTTP\/1\.1 413 /);
      expect(large).toContain('ERR_GATEWAY_BODY_TOO_LARGE');
    });

    it('431 for headers over gateway.maxHeaderSize', async () => {
      const answer = await raw(r.port, [`GET /health HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`]);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(answer).toContain('ERR_GATEWAY_HEADERS_TOO_LARGE');
    });

    it('drains an in-flight slow request, refuses new connections, then exits 0', async () => {
      const slow = freshGet(r.port, '/open/slow');
      await expect.poll(() => slowInFlight, { timeout: 5000, interval: 20 }).toBe(1); // in flight at the upstream
      const started = Date.now();
      const exited = r.gatehouse.stop('SIGTERM');
      // Refused once the gateway has stopped accepting (while the slow answer is still on its way).
      await expect.poll(() => freshGet(r.port, '/health').then(() => 'served', () => 'refused'), { timeout: 5000, interval: 20 }).toBe('refused');
      expect(await slow).toMatchObject({ status: 200 });
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
}
