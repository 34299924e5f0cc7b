// App definitions and an in-memory app supply for embedded-cluster tests, plus the small HTTP task
// they run (it answers with what its environment told it).
import { createHash } from 'node:crypto';
import type { AppDefinition, HealthCheckDefinition } from '../../cluster/local/apps/app-definition.js';
import type { AppSupply } from '../../cluster/local/local-cluster.js';

/** A task that serves its own view of the world: `GET /` answers JSON; `GET /fail` answers 500 once `fail` exists in the sandbox. */
export const ECHO_TASK = [
  'node -e "',
  "const fs=require('fs');",
  "require('http').createServer((q,s)=>{",
  "if(q.url==='/health'&&fs.existsSync('fail')){s.statusCode=500;return s.end('failing')}",
  "s.setHeader('content-type','application/json');",
  "s.end(JSON.stringify({task:process.env.MESOS_TASK_ID,port0:process.env.PORT0,ports:process.env.PORTS,web:process.env.PORT_WEB,host:process.env.HOST,sandbox:process.env.MESOS_SANDBOX,app:process.env.MARATHON_APP_ID,pid:process.pid,hostname:require('os').hostname(),path:q.url}))",
  '}).listen(+process.env.PORT0,process.env.HOST)',
  '"',
].join('');

export function appDefinition(partial: Partial<AppDefinition> & { id: string }): AppDefinition {
  const base: Omit<AppDefinition, 'version'> = {
    cmd: ECHO_TASK,
    args: null,
    instances: 1,
    cpus: 0.1,
    mem: 64,
    disk: 0,
    portDefinitions: [{ port: 0, name: 'web', protocol: 'tcp', labels: {} }],
    requirePorts: false,
    labels: {},
    env: {},
    healthChecks: [],
    backoffSeconds: 1,
    backoffFactor: 1.15,
    maxLaunchDelaySeconds: 300,
    killGracePeriodSeconds: 3,
    source: { file: 'test', line: 1, col: 1 },
    ...partial,
  };
  const { source: _source, ...hashed } = base;
  return { ...base, version: partial.version ?? createHash('sha1').update(JSON.stringify(hashed)).digest('hex').slice(0, 12) };
}

export function httpHealthCheck(partial: Partial<HealthCheckDefinition> = {}): HealthCheckDefinition {
  return {
    protocol: 'HTTP',
    path: '/health',
    portIndex: 0,
    command: null,
    gracePeriodSeconds: 5,
    intervalSeconds: 1,
    timeoutSeconds: 1,
    maxConsecutiveFailures: 3,
    ignoreHttp1xx: false,
    ...partial,
  };
}

export class MemoryApps implements AppSupply {
  #apps: readonly AppDefinition[];
  readonly #listeners = new Set<(apps: readonly AppDefinition[]) => void>();

  constructor(apps: readonly AppDefinition[]) {
    this.#apps = apps;
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  apps(): readonly AppDefinition[] {
    return this.#apps;
  }

  subscribe(listener: (apps: readonly AppDefinition[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(apps: readonly AppDefinition[]): void {
    this.#apps = apps;
    for (const listener of this.#listeners) listener(apps);
  }
}
