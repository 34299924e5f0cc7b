// An app definition back in Marathon's JSON form: what `/v2/apps/<id>/versions/<v>` answers, what the
// version history keeps, and what a rollback writes into the app file. Reading it back with
// parseAppFile gives the same normalised definition (and so the same content hash).
import { parseAppFile, type AppDefinition, type HealthCheckDefinition } from './app-definition.js';

export type MarathonAppJson = Record<string, unknown>;

export function definitionJson(d: AppDefinition): MarathonAppJson {
  return {
    id: d.id,
    ...(d.cmd !== null ? { cmd: d.cmd } : {}),
    ...(d.args !== null ? { args: [...d.args] } : {}),
    instances: d.instances,
    cpus: d.cpus,
    mem: d.mem,
    disk: d.disk,
    portDefinitions: d.portDefinitions.map((p) => ({ port: p.port, protocol: p.protocol, ...(p.name ? { name: p.name } : {}), labels: { ...p.labels } })),
    requirePorts: d.requirePorts,
    labels: { ...d.labels },
    env: { ...d.env },
    healthChecks: d.healthChecks.map(healthCheckJson),
    backoffSeconds: d.backoffSeconds,
    backoffFactor: d.backoffFactor,
    maxLaunchDelaySeconds: d.maxLaunchDelaySeconds,
    taskKillGracePeriodSeconds: d.killGracePeriodSeconds,
  };
}

/**
 * A definition without the keys that hold Marathon's defaults (id, the command and instances always
 * stay): what a rollback writes into an app file, so that the file still reads like one a person wrote.
 */
export function compactJson(json: MarathonAppJson): MarathonAppJson {
  DEFAULTS ??= definitionJson(parseAppFile('{"id": "/x", "cmd": "x"}', 'defaults').apps[0]!);
  const defaults = DEFAULTS;
  return Object.fromEntries(
    Object.entries(json).filter(
      ([key, value]) => ['id', 'cmd', 'args', 'instances'].includes(key) || JSON.stringify(value) !== JSON.stringify(defaults[key]),
    ),
  );
}

let DEFAULTS: MarathonAppJson | undefined;

export function healthCheckJson(check: HealthCheckDefinition): MarathonAppJson {
  return {
    protocol: check.protocol,
    ...(check.protocol === 'HTTP' || check.protocol === 'HTTPS' ? { path: check.path, ignoreHttp1xx: check.ignoreHttp1xx } : {}),
    ...(check.protocol === 'COMMAND' ? { command: { value: check.command } } : { portIndex: check.portIndex }),
    gracePeriodSeconds: check.gracePeriodSeconds,
    intervalSeconds: check.intervalSeconds,
    timeoutSeconds: check.timeoutSeconds,
    maxConsecutiveFailures: check.maxConsecutiveFailures,
  };
}
