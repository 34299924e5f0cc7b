// The config of an end-to-end test that runs the real binary on the embedded cluster: every listener
// on port 0 (the log says which port it got), every file in the test's own temp dir, and the task
// ports of the test file's own range so that files running in parallel never collide.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface EmbeddedConfigOptions {
  /** This test file's task-port range, e.g. "20680-20699". */
  readonly ports: string;
  /** Gateway worker processes (default 1). */
  readonly workers?: number;
  /** The Mesos-DNS HTTP API on a port of its own (default off). */
  readonly dnsHttp?: boolean;
  /** dns.ttl (default: the config's default). */
  readonly dnsTtl?: number;
  /** cluster.local.isolation (default: the config's default). */
  readonly isolation?: 'auto' | 'none';
  /** Further YAML lines at the end (e.g. a `mesh:` section). */
  readonly extra?: readonly string[];
}

/** Writes `<dir>/gatehouse.yaml` (apps in `<dir>/apps.d`, work dir, routes, key and users in `dir`); returns its path. */
export async function writeEmbeddedConfig(dir: string, options: EmbeddedConfigOptions): Promise<string> {
  const at = (name: string) => JSON.stringify(join(dir, name));
  const lines = [
    'cluster:',
    '  source: local',
    '  local:',
    `    apps: ${at('apps.d')}`,
    `    workDir: ${at('work')}`,
    '    http: 127.0.0.1:0',
    ...(options.isolation ? [`    isolation: ${options.isolation}`] : []),
    `    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "${options.ports}" }`,
    'dns:',
    '  listen: 127.0.0.1:0',
    `  http: ${options.dnsHttp ? '127.0.0.1:0' : '""'}`,
    ...(options.dnsTtl !== undefined ? [`  ttl: ${options.dnsTtl}`] : []),
    'gateway:',
    '  listen: 127.0.0.1:0',
    `  workers: ${options.workers ?? 1}`,
    `  routes: ${at('routes.d')}`,
    'authn:',
    `  signingKey: ${at('key.pem')}`,
    `  users: ${at('users.yaml')}`,
    ...(options.extra ?? []),
  ];
  const file = join(dir, 'gatehouse.yaml');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}
