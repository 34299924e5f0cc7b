// Turns an app and an offer into a task the way Marathon does: host ports picked from the offer (or
// the app's own with requirePorts), the environment Marathon gives (PORT0…, PORT_<NAME>, HOST,
// MARATHON_APP_*), the task name and id forms Mesos-DNS and Admin Router expect, DiscoveryInfo.
import { randomUUID } from 'node:crypto';
import type { AppDefinition } from '../apps/app-definition.js';
import { containsPort, countPorts, fits, rangesFromPorts, type PortRange, type Resources } from '../master/resources.js';
import type { DiscoveryJson, KeyValue, TaskLaunch } from '../master/task-messages.js';

/** `/grp/web` → `web.grp`: Marathon's Mesos task name (and so Mesos-DNS's `web-grp.marathon.mesos`). */
export function taskNameOf(appId: string): string {
  return appId.split('/').filter(Boolean).reverse().join('.');
}

/** `/grp/web` → `grp_web.<uuid>`: Marathon's task id form. */
export function newTaskId(appId: string): string {
  return `${appId.split('/').filter(Boolean).join('_')}.${randomUUID()}`;
}

export type Shortfall = 'cpus' | 'mem' | 'disk' | 'ports';

/** Host ports for the app from what is still free in the offer, or the shortfall that prevents it. */
export function pickPorts(app: AppDefinition, free: readonly PortRange[]): number[] | null {
  const wanted = app.portDefinitions.length;
  if (wanted === 0) return [];
  if (app.requirePorts) {
    const ports = app.portDefinitions.map((p) => p.port);
    return ports.every((p) => containsPort(free, p)) ? ports : null;
  }
  if (countPorts(free) < wanted) return null;
  // A random start spreads tasks over the range, so a just-freed port is not handed out again at once.
  const all: number[] = [];
  for (const r of free) for (let p = r.begin; p <= r.end && all.length < 65536; p++) all.push(p);
  const start = Math.floor(Math.random() * all.length);
  const picked: number[] = [];
  for (let i = 0; picked.length < wanted; i++) picked.push(all[(start + i) % all.length]!);
  return picked;
}

/** What the app needs that the remaining offer lacks (empty when it fits). */
export function shortfalls(app: AppDefinition, remaining: Resources): Shortfall[] {
  const missing: Shortfall[] = [];
  if (app.cpus > remaining.cpus + 1e-9) missing.push('cpus');
  if (app.mem > remaining.mem + 1e-9) missing.push('mem');
  if (app.disk > remaining.disk + 1e-9) missing.push('disk');
  if (pickPorts(app, remaining.ports) === null) missing.push('ports');
  return missing;
}

export interface BuiltTask {
  readonly launch: Omit<TaskLaunch, 'agentId'>;
  readonly ports: readonly number[];
}

export function buildTask(app: AppDefinition, remaining: Resources, frameworkId: string, host: string): BuiltTask | null {
  const ports = pickPorts(app, remaining.ports);
  if (ports === null) return null;
  const resources: Resources = { cpus: app.cpus, mem: app.mem, disk: app.disk, ports: rangesFromPorts(ports) };
  if (!fits(remaining, resources)) return null;
  const taskId = newTaskId(app.id);
  const name = taskNameOf(app.id);
  const labels: KeyValue[] = Object.entries(app.labels).map(([key, value]) => ({ key, value }));
  const discovery: DiscoveryJson = {
    visibility: 'FRAMEWORK',
    name,
    ports: {
      ports: app.portDefinitions.map((definition, i) => ({
        number: ports[i]!,
        protocol: definition.protocol.split(',')[0] || 'tcp',
        ...(definition.name ? { name: definition.name } : {}),
        // Marathon copies the port's labels (VIP_<n> among them) and, for host networking, adds
        // `network-scope: host`: what the mesh and dcos-net read to reach the task on the host port.
        labels: { labels: [...Object.entries(definition.labels).map(([key, value]) => ({ key, value })), { key: 'network-scope', value: 'host' }] },
      })),
    },
  };
  return {
    ports,
    launch: {
      taskId,
      name,
      frameworkId,
      command: commandOf(app),
      env: environmentOf(app, ports, host, taskId),
      resources,
      labels,
      discovery,
      killGracePeriodMs: app.killGracePeriodSeconds * 1000,
    },
  };
}

function commandOf(app: AppDefinition): string {
  if (app.cmd !== null) return app.cmd;
  return (app.args ?? []).map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function environmentOf(app: AppDefinition, ports: readonly number[], host: string, taskId: string): Record<string, string> {
  const env: Record<string, string> = { ...app.env };
  ports.forEach((port, i) => {
    env[`PORT${i}`] = String(port);
    const definition = app.portDefinitions[i]!;
    if (definition.name) env[`PORT_${definition.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(port);
    if (definition.port !== 0) env[`PORT_${definition.port}`] = String(port);
  });
  if (ports.length > 0) {
    env['PORT'] = String(ports[0]);
    env['PORTS'] = ports.join(',');
  }
  env['HOST'] = host;
  env['MARATHON_APP_ID'] = app.id;
  env['MARATHON_APP_VERSION'] = app.version;
  env['MARATHON_APP_RESOURCE_CPUS'] = String(app.cpus);
  env['MARATHON_APP_RESOURCE_MEM'] = String(app.mem);
  env['MARATHON_APP_RESOURCE_DISK'] = String(app.disk);
  env['MARATHON_APP_LABELS'] = Object.keys(app.labels).map((k) => k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')).join(' ');
  for (const [key, value] of Object.entries(app.labels)) env[`MARATHON_APP_LABEL_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = value;
  env['MESOS_TASK_ID'] = taskId;
  return env;
}
