// The real binary set up for request-smuggling tests: two file routes on one upstream, `/pub/`
// (auth: none) and `/admin/` (allow: uid root), with the prefix kept so that the upstream's record
// shows exactly which route a request came through. Any engine, any number of workers
// (`accept: round-robin` with several, so that consecutive connections land on different workers).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGatehouseProcess, type GatehouseProcess } from './gatehouse-process.js';
import { startKeepAliveUpstream, type KeepAliveUpstream } from './keepalive-upstream.js';
import { premadeAuthn } from './premade-authn.js';
import { tokenFor } from './token.js';

export interface SmuggleGateway {
  readonly port: number;
  readonly gatehouse: GatehouseProcess;
  /** A token for uid `root` (allowed on /admin/). */
  readonly rootToken: string;
  stop(): Promise<void>;
}

export async function startSmuggleGateway(upstreamOrigin: string, options: { engine: 'lean' | 'node'; workers?: number }): Promise<SmuggleGateway> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-smuggle-${options.engine}-`));
  await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', slaves: [], frameworks: [] }));
  await mkdir(join(dir, 'routes.d'));
  await writeFile(join(dir, 'routes.d', 'routes.yaml'), [
    'routes:',
    `  - { name: pub, path: /pub/, to: "${upstreamOrigin}", auth: none, stripPrefix: false }`,
    `  - { name: admin, path: /admin/, to: "${upstreamOrigin}", allow: { uid: [root] }, stripPrefix: false }`,
  ].join('\n'));
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  const config = join(dir, 'gatehouse.yaml');
  const workers = options.workers ?? 1;
  await writeFile(config, [
    'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
    'dns: { enabled: false }',
    'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, `  engine: ${options.engine}`,
    `  workers: ${workers}`, ...(workers > 1 ? ['  accept: round-robin'] : []),
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  const gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  if (workers > 1) await gatehouse.waitForLog(() => gatehouse.logs.filter((l) => l.msg === 'gateway worker is listening').length >= workers, 30_000);
  const rootToken = await tokenFor(config, 'root');
  return {
    port: Number(running['gatewayPort']),
    gatehouse,
    rootToken,
    stop: async () => {
      await gatehouse.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh keep-alive upstream and the gateway in front of it: one setup of the smuggling and desync files. */
export interface SmuggleSetup {
  readonly upstream: KeepAliveUpstream;
  readonly gateway: SmuggleGateway;
}

export async function startSmuggleSetup(options: { engine: 'lean' | 'node'; workers?: number }): Promise<SmuggleSetup> {
  const upstream = await startKeepAliveUpstream();
  try {
    return { upstream, gateway: await startSmuggleGateway(upstream.origin, options) };
  } catch (error) {
    await upstream.close();
    throw error;
  }
}

export async function stopSmuggleSetup({ upstream, gateway }: SmuggleSetup): Promise<void> {
  await gateway.stop();
  await upstream.close();
}
