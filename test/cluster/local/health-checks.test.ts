// Marathon's health checks as the embedded scheduler runs them, against real servers on real sockets:
// each protocol (HTTP, HTTPS, TCP, COMMAND) flips alive when its target does, failures inside the
// grace period before the first success do not count, and maxConsecutiveFailures: 0 never asks for a
// kill. Intervals are fractions of a second here (the unit takes any; app files take whole seconds).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealthCheckDefinition } from '../../../cluster/local/apps/app-definition.js';
import { TaskHealth, type HealthResult } from '../../../cluster/local/scheduler/health-checks.js';
import { selfSignedCertificate } from '../../support/tls.js';

let dir = '';
let cert = '';
let key = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-health-'));
  selfSignedCertificate(dir);
  cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  key = await readFile(join(dir, 'key.pem'), 'utf8');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const servers: (Server | HttpServer)[] = [];
const healths: TaskHealth[] = [];
afterEach(async () => {
  for (const h of healths.splice(0)) h.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A target whose answer the test switches: `up` decides 200/500 (HTTP) or listening/closed (TCP). */
async function target(kind: 'http' | 'https' | 'tcp'): Promise<{ port: number; setUp(up: boolean): Promise<void> }> {
  let up = true;
  if (kind === 'tcp') {
    let server: Server | null = null;
    let port = 0;
    const open = async () => {
      server = createTcpServer((socket) => socket.end());
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
      servers.push(server);
    };
    await open();
    return {
      port,
      async setUp(value) {
        if (value && !server) await open();
        if (!value && server) {
          const closing = server;
          server = null;
          servers.splice(servers.indexOf(closing), 1);
          await new Promise((r) => closing.close(r));
        }
      },
    };
  }
  const handler = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(up ? 200 : 500).end();
  const server = kind === 'https' ? createHttpsServer({ cert, key }, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, setUp: async (value) => void (up = value) };
}

function check(partial: Partial<HealthCheckDefinition>): HealthCheckDefinition {
  return {
    protocol: 'HTTP',
    path: '/health',
    portIndex: 0,
    command: null,
    gracePeriodSeconds: 0,
    intervalSeconds: 0.05,
    timeoutSeconds: 1,
    maxConsecutiveFailures: 3,
    ignoreHttp1xx: false,
    ...partial,
  };
}

function watch(definition: HealthCheckDefinition, options: { port?: number; sandbox?: string; env?: Record<string, string>; runningSince?: number } = {}) {
  const changes: boolean[] = [];
  const failures: HealthResult[] = [];
  const health = new TaskHealth(
    {
      taskId: 'web.1',
      host: '127.0.0.1',
      ports: options.port === undefined ? [] : [options.port],
      sandbox: options.sandbox ?? null,
      env: options.env ?? {},
      runningSince: options.runningSince ?? Date.now(),
    },
    [definition],
    { changed: (alive) => changes.push(alive), failed: (result) => failures.push({ ...result }) },
  );
  healths.push(health);
  health.start();
  return { health, changes, failures };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('health check protocols', () => {
  for (const kind of ['http', 'https', 'tcp'] as const) {
    it(`${kind.toUpperCase()}: healthy, unhealthy when the target fails, asked to kill after 3 failures, healthy again`, async () => {
      const t = await target(kind);
      const { health, changes, failures } = watch(check({ protocol: kind === 'tcp' ? 'TCP' : kind === 'https' ? 'HTTPS' : 'HTTP' }), { port: t.port });
      await until(() => changes.length === 1, 'the first result');
      expect(changes).toEqual([true]);
      await t.setUp(false);
      await until(() => failures.length >= 1, 'the kill request');
      expect(changes).toEqual([true, false]);
      expect(failures[0]!.consecutiveFailures).toBe(3);
      expect(health.results[0]!.lastFailureCause).toMatch(kind === 'tcp' ? /connection failed/ : /HTTP 500/);
      await t.setUp(true);
      await until(() => changes.length === 3, 'recovery');
      expect(changes).toEqual([true, false, true]);
      expect(health.results[0]!.consecutiveFailures).toBe(0);
    });
  }

  it('COMMAND: runs in the sandbox with the task env; exit 0 is healthy, anything else is not', async () => {
    const sandbox = await mkdtemp(join(dir, 'sandbox-'));
    const { health, changes } = watch(check({ protocol: 'COMMAND', command: 'test -f "$MARKER"' }), { sandbox, env: { MARKER: 'ready' } });
    await until(() => changes.length === 1, 'the first result');
    expect(changes).toEqual([false]);
    expect(health.results[0]!.lastFailureCause).toBe('command exited with 1');
    // A relative path: the command's working directory is the sandbox.
    await writeFile(join(sandbox, 'ready'), '');
    await until(() => changes.length === 2, 'healthy');
    expect(changes).toEqual([false, true]);
  });

  it('COMMAND: a command over its timeout is killed and counts as a failure', async () => {
    const { health, changes } = watch(check({ protocol: 'COMMAND', command: 'sleep 5', timeoutSeconds: 0.2 }));
    await until(() => changes.length === 1, 'the first result');
    expect(health.results[0]!.lastFailureCause).toBe('command timed out');
  });
});

describe('counting failures', () => {
  it('inside the grace period, failures before the first success do not count', async () => {
    const t = await target('http');
    await t.setUp(false);
    const { health, changes, failures } = watch(check({ gracePeriodSeconds: 0.6 }), { port: t.port });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toEqual([]);
    expect(health.results[0]).toMatchObject({ consecutiveFailures: 0, lastFailure: null });
    // Past the grace period they count, and three ask for a kill.
    await until(() => failures.length >= 1, 'the kill request after the grace period');
    expect(changes).toEqual([false]);
  });

  it('after a first success, failures inside the grace period count', async () => {
    const t = await target('http');
    const { changes, failures } = watch(check({ gracePeriodSeconds: 60 }), { port: t.port });
    await until(() => changes.length === 1, 'the first success');
    await t.setUp(false);
    await until(() => failures.length >= 1, 'the kill request');
    expect(changes).toEqual([true, false]);
  });

  it('maxConsecutiveFailures: 0 marks the task unhealthy but never asks for a kill', async () => {
    const t = await target('http');
    await t.setUp(false);
    const { health, changes, failures } = watch(check({ maxConsecutiveFailures: 0 }), { port: t.port });
    await until(() => health.results[0]!.consecutiveFailures >= 10, 'ten failures');
    expect(changes).toEqual([false]);
    expect(failures).toEqual([]);
  });
});
