// Beyond Mesos-DNS: in `run` mode the zone answers SERVFAIL (never a cacheable NXDOMAIN) before the
// first snapshot and once the snapshot is older than cluster.unusableAfter; names outside the zone
// keep being forwarded meanwhile.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { dig } from '../support/dig.js';
import { HARBOR, fixtureText } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';


// The two cases run side by side (each its own binary, directory and master; both wait on polls).
describe.concurrent('zone availability in run mode', () => {
  /** Starts the binary; `onTestFinished` stops it and removes its directory. */
  async function start(clusterYaml: string[], onTestFinished: TestContext['onTestFinished']): Promise<{ gatehouse: GatehouseProcess; port: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-avail-'));
    onTestFinished(async () => void (await rm(dir, { recursive: true, force: true })));
    const configPath = join(dir, 'gatehouse.yaml');
    await writeFile(
      configPath,
      [
        'cluster:',
        ...clusterYaml,
        'dns:',
        '  listen: 127.0.0.1:0',
        '  http: ""',
        'gateway: { enabled: false }',
        'authn: { enabled: false }',
      ].join('\n'),
    );
    const gatehouse = startGatehouseProcess(['run', '--config', configPath]);
    onTestFinished(async () => void (await gatehouse.stop()));
    const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running');
    return { gatehouse, port: (running['dns'] as { udpPort: number }).udpPort };
  }

  it('SERVFAIL before the first snapshot, answers once it arrives', async ({ onTestFinished }) => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-state-'));
    onTestFinished(async () => void (await rm(dir, { recursive: true, force: true })));
    const statePath = join(dir, 'state.json');
    const { port } = await start(['  source: file', `  file: { path: ${JSON.stringify(statePath)} }`], onTestFinished);

    const before = await dig(port, 'lighthouse.marathon.mesos', 'A');
    expect(before.status).toBe('SERVFAIL');
    const missingBefore = await dig(port, 'missing.mesos', 'A');
    expect(missingBefore.status).toBe('SERVFAIL');

    await writeFile(statePath, await fixtureText(HARBOR));
    const after = await until(() => dig(port, 'lighthouse.marathon.mesos', 'A'), (r) => r.status === 'NOERROR');
    expect(after.status).toBe('NOERROR');
    expect(after.answer.map((a) => a.data)).toEqual(['198.51.100.21']);
  });

  it('SERVFAIL once the snapshot is older than unusableAfter (master gone)', async ({ onTestFinished }) => {
    const state = JSON.parse(await fixtureText(HARBOR)) as Record<string, unknown>;
    const master: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    });
    await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
    const masterPort = (master.address() as AddressInfo).port;
    state['leader'] = `master@127.0.0.1:${masterPort}`;
    let masterClosed = false;
    onTestFinished(async () => {
      if (!masterClosed) await new Promise((resolve) => master.close(resolve));
    });

    const { port } = await start(
      [
        '  source: mesos',
        `  mesos: { masters: ["http://127.0.0.1:${masterPort}"], refresh: 300ms, timeout: 1s }`,
        '  staleAfter: 600ms',
        '  unusableAfter: 1200ms',
      ],
      onTestFinished,
    );
    const serving = await until(() => dig(port, 'lighthouse.marathon.mesos', 'A'), (r) => r.status === 'NOERROR');
    expect(serving.answer.map((a) => a.data)).toEqual(['198.51.100.21']);

    master.closeAllConnections();
    await new Promise((resolve) => master.close(resolve));
    masterClosed = true;
    const withdrawn = await until(() => dig(port, 'lighthouse.marathon.mesos', 'A'), (r) => r.status === 'SERVFAIL');
    expect(withdrawn.status).toBe('SERVFAIL');
  });
});
