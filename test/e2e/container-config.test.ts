// The container image's configuration, run as the image runs it but without a Docker engine: the
// real binary with config/container.yaml, as an unprivileged user (setpriv), from a directory laid
// out like the image's /app. Only the ports (fixed in the image) are made free ones here, and the
// advertised address is 127.0.0.2 (traffic stays on loopback). Checked: it starts as that user,
// keeps its state 0600 in .gatehouse/, the image's HEALTHCHECK command passes, `workers: auto`
// follows the cgroup's CPUs, and tasks are published under the advertised address, not 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineCapacity } from '../../config/cgroup-limits.js';
import { advertisedAddress } from '../../cluster/local/local-cluster.js';
import { dig } from '../support/dig.js';
import { REPO_ROOT, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';

const NOBODY = 65534;
const canSwitchUser = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('setpriv', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

async function until<T>(get: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${get.toString()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!canSwitchUser)('config/container.yaml as an unprivileged user', () => {
  let app: string;
  let gatehouse: GatehouseProcess;
  let gatewayPort: number;
  let dnsPort: number;
  const base = 20000 + Math.floor(Math.random() * 120) * 100; // a task port range of its own, below the ephemeral range
  const range = [base, base + 99] as const;

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'gatehouse-container-'));
    chmodSync(app, 0o755);
    // As the image has it: the shipped demo apps, copied to apps.d on first start (cluster.local.seedApps).
    cpSync(join(REPO_ROOT, 'config', 'apps.d.example'), join(app, 'config', 'apps.d.example'), { recursive: true });
    cpSync(join(REPO_ROOT, 'config', 'routes.d'), join(app, 'config', 'routes.d'), { recursive: true });
    const shipped = readFileSync(join(REPO_ROOT, 'config', 'container.yaml'), 'utf8');
    const local = shipped
      .replace(/0\.0\.0\.0:(8053|8123|8080)/g, '0.0.0.0:0')
      .replace('127.0.0.1:5050', '127.0.0.1:0')
      .replace('"31000-31099"', `"${range[0]}-${range[1]}"`)
      .replace('advertise: auto', 'advertise: 127.0.0.2');
    for (const changed of ['0.0.0.0:0', '127.0.0.1:0', `${range[0]}-${range[1]}`, 'advertise: 127.0.0.2']) expect(local).toContain(changed);
    writeFileSync(join(app, 'config', 'container.yaml'), local);
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, app]);
    gatehouse = startGatehouseProcess(['run', '--config', 'config/container.yaml'], {
      cwd: app,
      prefix: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'],
    });
    const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 60_000);
    gatewayPort = Number(running['gatewayPort']);
    dnsPort = Number((running['dns'] as { udpPort: number }).udpPort);
  }, 90_000);

  afterAll(async () => {
    expect(await gatehouse?.stop()).toBe(0);
    rmSync(app, { recursive: true, force: true });
  }, 30_000);

  it('runs as the unprivileged user and keeps its state, 0600, in .gatehouse/', async () => {
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${gatehouse.child.pid}/status`, 'utf8'))?.[1];
    expect(Number(uid)).toBe(NOBODY);
    for (const file of ['users.yaml', 'signing-key.pem']) {
      const s = statSync(join(app, '.gatehouse', file));
      expect(s.uid, file).toBe(NOBODY);
      expect(s.mode & 0o777, file).toBe(0o600);
    }
    await gatehouse.waitForStderr(/Password \(shown once\): \S+/);
  });

  it("the image's HEALTHCHECK command passes against it", async () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const command = JSON.parse(/^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(command[0]).toBe('node');
    const args = command.slice(1).map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${gatewayPort}`));
    await until(async () => (await promisify(execFile)(process.execPath, args), true));
  });

  it('gateway.workers: auto runs one worker per CPU the cgroup allows', async () => {
    const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!;
    const login = await fetch(`http://127.0.0.1:${gatewayPort}/acs/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uid: 'admin', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const status = (await (
      await fetch(`http://127.0.0.1:${gatewayPort}/gatehouse/v1/status`, { headers: { authorization: `token=${token}` } })
    ).json()) as { workers: unknown[] };
    expect(status.workers).toHaveLength(Math.max(1, machineCapacity().cpuCount));
  });

  it('tasks are published under the advertised address with ports from the published range', async () => {
    const srv = await until(async () => {
      const answer = await dig(dnsPort, '_hello._tcp.marathon.mesos', 'SRV');
      return answer.answer.length === 2 ? answer : null;
    }, 45_000);
    for (const record of srv.answer) {
      const port = Number(record.data.split(/\s+/)[2]);
      expect(port).toBeGreaterThanOrEqual(range[0]);
      expect(port).toBeLessThanOrEqual(range[1]);
      // The task bound the advertised address ($HOST) and answers there.
      expect(await until(async () => (await fetch(`http://127.0.0.2:${port}/health`)).text(), 15_000)).toBe('ok');
    }
    const a = await dig(dnsPort, 'hello.marathon.mesos', 'A');
    expect(a.answer.map((r) => r.data)).toEqual(['127.0.0.2']);
  });
});

describe('the advertised address of a wildcard listener', () => {
  it('is a non-loopback address of this machine when it has one, else 127.0.0.1', () => {
    const address = advertisedAddress('0.0.0.0');
    const interfaces = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
    const external = [...interfaces.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.'));
    if (external.length) expect(external).toContain(address);
    else expect(address).toBe('127.0.0.1');
    expect(advertisedAddress('10.1.2.3')).toBe('10.1.2.3');
  });
});
