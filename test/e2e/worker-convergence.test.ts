// Every gateway worker serves the same users, routes and snapshot: the real binary with two workers
// (and one, in-process), a burst of users-file edits faster than a file timestamp tick, a burst of
// route-file edits, then /gatehouse/v1/status must show every worker at the primary's generations
// and a login with the last-added user must succeed on every worker (who answered is read from the
// access log, whose lines carry each worker's pid).
import { request } from 'node:http';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { quickPasswordHash, writeSigningKey } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';

const BURST = 12;
const PASSWORD = 'burst-password-1';

/** One HTTP exchange on a connection of its own, so that the workers' accepts spread the requests. */
function fresh(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Status {
  primary: { generations: { users: number; routes: number; snapshot: number } };
  workers: { worker: number; pid: number | null; generations: { users: number; routes: number; snapshot: number } | null }[];
  converged: boolean;
}

async function untilValue<T>(get: () => Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`still nothing after ${timeoutMs} ms: ${get.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each([
  { workers: 2, accept: 'round-robin' },
  { workers: 1, accept: 'shared' },
])('workers: $workers, accept: $accept', ({ workers, accept }) => {
  let dir: string;
  let gatehouse: GatehouseProcess;
  let port: number;
  let token: string;
  let adminToken: string; // the route list is for members of authn.adminGroup (admins)
  let usersPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-converge-'));
    usersPath = join(dir, 'users.yaml');
    await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
    await mkdir(join(dir, 'routes.d'));
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns:', '  enabled: false',
      'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  workers: ${workers}`, `  accept: ${accept}`,
      'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(usersPath)}`,
    ].join('\n'));
    // The first user as `gatehouse user add first --groups admins` writes it (that command is tested in
    // test/authn/users.test.ts); quick hashes (scrypt N=1024) here and below: 16 logins per setup.
    const firstUser = { uid: 'first', password: quickPasswordHash(PASSWORD), groups: ['admins'] };
    await writeFile(usersPath, stringify({ users: [firstUser], serviceAccounts: [] }), { mode: 0o600 });
    await writeSigningKey(join(dir, 'signing-key.pem'));
    gatehouse = startGatehouseProcess(['run', '--config', config]);
    port = Number((await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 45_000))['gatewayPort']);
    token = await tokenFor(config, 'operator');
    adminToken = await tokenFor(config, 'first');
  }, 60_000);

  afterAll(async () => {
    await gatehouse?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  async function status(): Promise<Status> {
    const answer = await fresh(port, 'GET', '/gatehouse/v1/status', { authorization: `token=${token}` });
    expect(answer.status).toBe(200);
    return JSON.parse(answer.body) as Status;
  }

  /** Every worker at the primary's generations, the primary at least at `at`. */
  async function convergedAt(at: { users: number; routes: number }): Promise<Status> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const now = await status();
      const g = now.primary.generations;
      if (now.converged && g.users >= at.users && g.routes >= at.routes) return now;
      if (Date.now() > deadline) throw new Error(`workers did not converge: ${JSON.stringify(now)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('the status endpoint needs a token and lists every worker', async () => {
    expect((await fresh(port, 'GET', '/gatehouse/v1/status')).status).toBe(401);
    const now = await status();
    expect(now.workers).toHaveLength(workers);
    for (const w of now.workers) expect(w.pid).toBeGreaterThan(0);
  });

  it('after a burst of users-file and route-file edits every worker serves the final users and routes', async () => {
    const before = (await status()).primary.generations;
    // Each version adds one user and is swapped in by rename, as an editor or `user add` writes it;
    // all of them within a few milliseconds, faster than a file timestamp tick.
    const first = { uid: 'first', password: quickPasswordHash(PASSWORD), groups: ['admins'] };
    const added = Array.from({ length: BURST }, (_, i) => ({ uid: `burst-${i}`, password: quickPasswordHash(`${PASSWORD}-${i}`), groups: [] as string[] }));
    for (let i = 1; i <= BURST; i++) {
      const temp = `${usersPath}.${i}.tmp`;
      await writeFile(temp, stringify({ users: [first, ...added.slice(0, i)], serviceAccounts: [] }), { mode: 0o600 });
      await rename(temp, usersPath);
      await writeFile(join(dir, 'routes.d', 'burst.yaml'), `routes:\n  - { name: burst, path: /burst-${i}/, to: "http://127.0.0.1:9" }\n`);
    }
    // The primary reads the users file at its own pace and may have loaded some of the versions in
    // between: the final one is the one with every user (its log line says how many, and its generation).
    const loaded = await gatehouse.waitForLog((l) => l.msg === 'users reloaded' && l['users'] === BURST + 1, 15_000);
    // Only the primary reads the route files: any process serving the last route proves the primary loaded it.
    const routesGeneration = await untilValue(async () => {
      const listed = await fresh(port, 'GET', '/gatehouse/v1/routes', { authorization: `token=${adminToken}` });
      return listed.body.includes(`/burst-${BURST}/`) ? (await status()).primary.generations.routes : null;
    });
    const after = await convergedAt({ users: Number(loaded['generation']), routes: routesGeneration });
    expect(after.primary.generations.users).toBeGreaterThan(before.users);
    for (const w of after.workers) expect(w.generations, `worker ${w.worker}`).toEqual(after.primary.generations);

    const last = added.at(-1)!.uid;
    const served = new Set<unknown>();
    const lineCount = gatehouse.logs.length;
    for (let i = 0; i < 16; i++) {
      const answer = await fresh(
        port,
        'POST',
        '/acs/api/v1/auth/login',
        { 'content-type': 'application/json' },
        JSON.stringify({ uid: last, password: `${PASSWORD}-${BURST - 1}` }),
      );
      expect(answer.status, answer.body).toBe(200);
      // The final route file's route is served (502: nothing listens on port 9) and the earlier ones are gone (404).
      expect((await fresh(port, 'GET', `/burst-${BURST}/`, { authorization: `token=${token}` })).status).toBe(502);
      expect((await fresh(port, 'GET', `/burst-${BURST - 1}/`, { authorization: `token=${token}` })).status).toBe(404);
    }
    // Access lines are written in batches per process: wait for all 16 logins, not the first batch.
    const logins = () => gatehouse.logs.slice(lineCount).filter((line) => line.msg === 'request' && line['route'] === 'login');
    await gatehouse.waitForLog(() => logins().length >= 16);
    for (const line of logins()) served.add(line['pid']);
    expect(served.size).toBe(workers);
  }, 60_000);
});
