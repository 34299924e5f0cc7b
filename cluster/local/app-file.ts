// App files (`cluster.local.apps/*.yaml|yml|json`): Marathon's app format, one app or `{ apps: [...] }`
// (with an optional group `id` that relative app ids resolve against), validated with file:line:col.
// Marathon keys that make no sense on one machine are refused with the reason; keys that only tune
// Marathon's own behaviour are accepted and reported as ignored.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSchema, compileSchema, formatKeyPath, parseYamlFile, type ConfigProblem, type KeyPath, type Schema } from '../../config/index.js';
import type { AppDefinition, AppFileStatus, HealthCheckDefinition, HealthCheckProtocol, PortDefinition } from './app-definition.js';

const REFUSED: Record<string, string> = {
  container: 'the embedded cluster runs commands only (no Docker or UCR images); drop it, or use cluster.source: mesos',
  constraints: 'the embedded cluster has one host, so placement constraints cannot be met or broken; drop it',
  fetch: 'the embedded cluster does not download artifacts; put what the command needs on this machine',
  uris: 'the embedded cluster does not download artifacts; put what the command needs on this machine',
  secrets: 'the embedded cluster has no secret store; use env with values, or cluster.source: mesos',
  networks: 'tasks share the host network on the embedded cluster; drop it',
  ipAddress: 'tasks share the host network on the embedded cluster (no IP per task); drop it',
  residency: 'the embedded cluster has no persistent volumes',
  executor: 'the embedded cluster runs every task with its own command executor',
  readinessChecks: 'not supported by the embedded cluster; use healthChecks',
  storeUrls: 'not supported by the embedded cluster',
};
const IGNORED = ['upgradeStrategy', 'unreachableStrategy', 'killSelection', 'acceptedResourceRoles', 'user', 'dependencies', 'role', 'version', 'versionInfo', 'tty', 'gpus'];

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const seconds = { type: 'number', minimum: 0 };
const HEALTH_CHECK = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocol: { enum: ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'] },
    path: { type: 'string' },
    portIndex: { type: 'integer', minimum: 0 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    command: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: { type: 'string', minLength: 1 } } },
    gracePeriodSeconds: seconds, intervalSeconds: { type: 'number', exclusiveMinimum: 0 }, timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
    maxConsecutiveFailures: { type: 'integer', minimum: 0 }, ignoreHttp1xx: { type: 'boolean' }, delaySeconds: seconds,
  },
};
const APP = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1 },
    cmd: { type: 'string', minLength: 1 },
    args: { type: 'array', items: { type: 'string' }, minItems: 1 },
    instances: { type: 'integer', minimum: 0 },
    cpus: { type: 'number', exclusiveMinimum: 0 },
    mem: { type: 'number', exclusiveMinimum: 0 },
    disk: { type: 'number', minimum: 0 },
    portDefinitions: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { port: { type: 'integer', minimum: 0, maximum: 65535 }, name: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' }, protocol: { enum: ['tcp', 'udp', 'udp,tcp', 'tcp,udp'] }, labels: stringMap } } },
    ports: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 } },
    requirePorts: { type: 'boolean' },
    labels: stringMap,
    env: { type: 'object', additionalProperties: { type: 'string' } },
    healthChecks: { type: 'array', items: HEALTH_CHECK },
    backoffSeconds: seconds, backoffFactor: { type: 'number', minimum: 1 }, maxLaunchDelaySeconds: seconds, taskKillGracePeriodSeconds: seconds,
    ...Object.fromEntries([...Object.keys(REFUSED), ...IGNORED].map((key) => [key, {}])),
  },
};
const validateApp = compileSchema(APP as Schema);
const validateGroup = compileSchema({ type: 'object', additionalProperties: false, required: ['apps'], properties: { id: { type: 'string', minLength: 1 }, apps: { type: 'array', items: { type: 'object' } } } });

// Marathon's path segment rule (lower-case letters, digits, dashes, inner dots).
const SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

type Raw = Record<string, unknown>;

export interface ParsedAppFile {
  readonly apps: AppDefinition[];
  readonly problems: ConfigProblem[];
  /** Accepted but without effect here (Marathon-only tuning keys). */
  readonly notes: string[];
}

export function parseAppFile(text: string, file: string): ParsedAppFile {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) return { apps: [], problems: [...doc.problems], notes: [] };
  const problems: ConfigProblem[] = [];
  const notes: string[] = [];
  const fail = (path: KeyPath, message: string, key = false): void => void problems.push({ file, ...doc.positionOf(path, { key }), path: formatKeyPath(path), message });
  const value = doc.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail([], 'an app file holds one Marathon app (a mapping with id and cmd) or a group ({ id, apps: [...] })');
    return { apps: [], problems, notes };
  }
  const isGroup = 'apps' in value;
  if (isGroup) problems.push(...checkSchema(validateGroup, doc));
  if (problems.length) return { apps: [], problems, notes };
  const group = isGroup ? String((value as Raw)['id'] ?? '/') : '/';
  const raws: [Raw, KeyPath][] = isGroup ? ((value as Raw)['apps'] as Raw[]).map((raw, i) => [raw, ['apps', i]]) : [[value as Raw, []]];
  const apps: AppDefinition[] = [];
  for (const [raw, at] of raws) {
    const before = problems.length;
    const schemaProblems = checkSchema(validateApp, { ...doc, value: raw, positionOf: (path, options) => doc.positionOf([...at, ...path], options) });
    problems.push(...schemaProblems.map((p) => ({ ...p, path: formatKeyPath([...at, ...pathParts(p.path)]) })));
    if (problems.length > before) continue;
    const app = toDefinition(raw, at, group, file, doc.positionOf(at), fail, notes);
    if (problems.length === before && app) apps.push(app);
  }
  const ids = new Map<string, KeyPath>();
  for (const app of apps) {
    if (ids.has(app.id)) fail([], `app ${app.id} is declared twice in this file`);
    ids.set(app.id, []);
  }
  return { apps: problems.length ? [] : apps, problems, notes };
}

function toDefinition(raw: Raw, at: KeyPath, group: string, file: string, position: { line: number; col: number }, fail: (path: KeyPath, message: string, key?: boolean) => void, notes: string[]): AppDefinition | null {
  const id = resolveId(String(raw['id']), group);
  if (!id) fail([...at, 'id'], `"${String(raw['id'])}" is not a Marathon app id: path segments of a-z, 0-9 and -, separated by "/" (e.g. /grp/web)`);
  for (const key of Object.keys(raw)) {
    if (REFUSED[key]) fail([...at, key], REFUSED[key], true);
    else if (IGNORED.includes(key)) notes.push(`${file}: ${formatKeyPath([...at, key])}: accepted but has no effect on the embedded cluster`);
  }
  if ((raw['cmd'] === undefined) === (raw['args'] === undefined)) fail(at, 'give exactly one of cmd (a shell command) or args (a command and its arguments)');
  if (raw['ports'] !== undefined && raw['portDefinitions'] !== undefined) fail([...at, 'ports'], 'give ports or portDefinitions, not both');
  const portDefinitions: PortDefinition[] = raw['portDefinitions'] !== undefined
    ? (raw['portDefinitions'] as Raw[]).map((p) => ({ port: (p['port'] as number | undefined) ?? 0, name: (p['name'] as string | undefined) ?? null, protocol: (p['protocol'] as string | undefined) ?? 'tcp', labels: (p['labels'] as Record<string, string> | undefined) ?? {} }))
    : ((raw['ports'] as number[] | undefined) ?? [0]).map((port) => ({ port, name: null, protocol: 'tcp', labels: {} }));
  const requirePorts = (raw['requirePorts'] as boolean | undefined) ?? false;
  const portsKey = raw['portDefinitions'] !== undefined ? 'portDefinitions' : 'ports';
  const names = new Set<string>();
  portDefinitions.forEach((p, i) => {
    if (requirePorts && p.port === 0) fail([...at, portsKey, i], 'requirePorts needs a fixed port number here (0 means any)');
    if (p.name && names.has(p.name)) fail([...at, portsKey, i, 'name'], `port name "${p.name}" is used twice`);
    if (p.name) names.add(p.name);
  });
  const fixed = portDefinitions.map((p) => p.port).filter((p) => p !== 0);
  if (requirePorts && new Set(fixed).size !== fixed.length) fail([...at, portsKey], 'the same fixed port is declared twice');
  const healthChecks = ((raw['healthChecks'] as Raw[] | undefined) ?? []).map((check, i): HealthCheckDefinition => {
    const protocol = String(check['protocol'] ?? 'HTTP').replace(/^MESOS_/, '') as HealthCheckProtocol;
    const portIndex = (check['portIndex'] as number | undefined) ?? 0;
    if (protocol === 'COMMAND' && !check['command']) fail([...at, 'healthChecks', i], 'a COMMAND health check needs command: { value: "..." }');
    if (protocol !== 'COMMAND' && check['port'] !== undefined) fail([...at, 'healthChecks', i, 'port'], 'use portIndex: the embedded cluster checks the task\'s own host ports');
    if (protocol !== 'COMMAND' && portIndex >= portDefinitions.length) fail([...at, 'healthChecks', i, 'portIndex'], `portIndex ${portIndex} is out of range: the app has ${portDefinitions.length} port(s)`);
    return {
      protocol,
      path: (check['path'] as string | undefined) ?? '/',
      portIndex,
      command: ((check['command'] as Raw | undefined)?.['value'] as string | undefined) ?? null,
      gracePeriodSeconds: (check['gracePeriodSeconds'] as number | undefined) ?? 300,
      intervalSeconds: (check['intervalSeconds'] as number | undefined) ?? 60,
      timeoutSeconds: (check['timeoutSeconds'] as number | undefined) ?? 20,
      maxConsecutiveFailures: (check['maxConsecutiveFailures'] as number | undefined) ?? 3,
      ignoreHttp1xx: (check['ignoreHttp1xx'] as boolean | undefined) ?? false,
    };
  });
  if (!id) return null;
  const definition: Omit<AppDefinition, 'version' | 'source'> = {
    id,
    cmd: (raw['cmd'] as string | undefined) ?? null,
    args: (raw['args'] as string[] | undefined) ?? null,
    instances: (raw['instances'] as number | undefined) ?? 1,
    cpus: (raw['cpus'] as number | undefined) ?? 1,
    mem: (raw['mem'] as number | undefined) ?? 128,
    disk: (raw['disk'] as number | undefined) ?? 0,
    portDefinitions,
    requirePorts,
    labels: (raw['labels'] as Record<string, string> | undefined) ?? {},
    env: (raw['env'] as Record<string, string> | undefined) ?? {},
    healthChecks,
    backoffSeconds: (raw['backoffSeconds'] as number | undefined) ?? 1,
    backoffFactor: (raw['backoffFactor'] as number | undefined) ?? 1.15,
    maxLaunchDelaySeconds: (raw['maxLaunchDelaySeconds'] as number | undefined) ?? 300,
    killGracePeriodSeconds: (raw['taskKillGracePeriodSeconds'] as number | undefined) ?? 3,
  };
  // The same definition always gets the same version, so saving a file unchanged redeploys nothing.
  const version = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
  return { ...definition, version, source: { file, ...position } };
}

/** Absolute, normalised Marathon id, or null when a segment is not allowed. */
export function resolveId(id: string, group: string): string | null {
  const parts = (id.startsWith('/') ? id : `${group.replace(/\/+$/, '')}/${id}`).split('/').filter(Boolean);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '.') continue;
    if (part === '..') {
      if (out.pop() === undefined) return null;
      continue;
    }
    if (!SEGMENT.test(part)) return null;
    out.push(part);
  }
  return out.length ? `/${out.join('/')}` : null;
}

function pathParts(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return parts;
}

/**
 * Reads every app file of `dir` against the previous state: good files replace their apps, broken
 * ones keep their last good apps (quarantined). An app id declared in an earlier file (by name) wins;
 * the later declaration is refused with an error naming both files.
 */
export async function loadAppFiles(dir: string, previous: ReadonlyMap<string, AppFileStatus & { notes?: readonly string[] }>): Promise<Map<string, AppFileStatus & { notes: readonly string[] }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const next = new Map<string, AppFileStatus & { notes: readonly string[] }>();
  for (const name of names.filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.')).sort()) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => ({ error: e.code ?? String(e) }));
    const parsed: ParsedAppFile = typeof text === 'string' ? parseAppFile(text, file) : { apps: [], problems: [{ file, line: 1, col: 1, path: '', message: `cannot read (${text.error})` }], notes: [] };
    if (parsed.problems.length === 0) next.set(file, { file, status: 'ok', problems: [], apps: parsed.apps, notes: parsed.notes });
    else next.set(file, { file, status: 'quarantined', problems: parsed.problems, apps: previous.get(file)?.apps ?? [], notes: parsed.notes });
  }
  const owner = new Map<string, string>();
  for (const [file, status] of next) {
    const duplicates = status.apps.filter((app) => owner.has(app.id));
    for (const app of status.apps) if (!owner.has(app.id)) owner.set(app.id, file);
    if (duplicates.length === 0) continue;
    next.set(file, {
      ...status,
      status: 'quarantined',
      problems: [...status.problems, ...duplicates.map((app) => ({ file, line: app.source.line, col: app.source.col, path: 'id', message: `app ${app.id} is already declared in ${owner.get(app.id)}` }))],
      apps: status.apps.filter((app) => !duplicates.includes(app)),
    });
  }
  return next;
}
