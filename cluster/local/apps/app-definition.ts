// Marathon-style app definitions (`cluster.local.apps/*.yaml|*.yml|*.json`): parsed with positions,
// validated (unknown keys are errors, Marathon keys we do not implement say why), normalised with
// Marathon's defaults, versioned and frozen. The embedded master, agents and scheduler run these.
import { createHash } from 'node:crypto';
import { checkSchema, compileSchema, formatKeyPath, parseYamlFile, type ConfigProblem, type KeyPath, type YamlFile } from '../../../config/index.js';
import { deepFreeze } from '../../../core/index.js';
import type { ValidateFunction } from 'ajv';
import {
  APP_SCHEMA,
  GROUP_SCHEMA,
  UNSUPPORTED_APP_KEYS,
  UNSUPPORTED_GROUP_KEYS,
  UNSUPPORTED_HEALTH_CHECK_KEYS,
  type Severity,
  type UnsupportedRule,
} from './app-keys.js';

export type HealthCheckProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND'; // MESOS_HTTP→HTTP, MESOS_HTTPS→HTTPS, MESOS_TCP→TCP

export interface HealthCheckDefinition {
  readonly protocol: HealthCheckProtocol;
  readonly path: string;                 // HTTP(S); default '/'
  readonly portIndex: number;            // default 0; must be < number of ports
  readonly command: string | null;       // COMMAND: from `command: { value: "..." }`
  readonly gracePeriodSeconds: number;   // default 300
  readonly intervalSeconds: number;      // default 60
  readonly timeoutSeconds: number;       // default 20
  readonly maxConsecutiveFailures: number; // default 3 (0 = never kill)
  readonly ignoreHttp1xx: boolean;       // default false
}

export interface PortDefinition {
  readonly port: number;                 // 0 = any (Marathon); with requirePorts the exact host port
  readonly name: string | null;
  readonly protocol: string;             // 'tcp' default, 'udp', 'udp,tcp'
  readonly labels: Readonly<Record<string, string>>;
}

export interface AppDefinition {
  readonly id: string;                   // absolute, normalised: '/grp/app'
  readonly cmd: string | null;
  readonly args: readonly string[] | null; // exactly one of cmd/args is given
  readonly instances: number;            // default 1, >= 0
  readonly cpus: number;                 // default 1 (Marathon's), > 0
  readonly mem: number;                  // MB, default 128
  readonly disk: number;                 // MB, default 0
  readonly portDefinitions: readonly PortDefinition[]; // default: one port {port: 0}; `portDefinitions: []` = no ports
  readonly requirePorts: boolean;        // default false
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly healthChecks: readonly HealthCheckDefinition[];
  readonly backoffSeconds: number;       // default 1
  readonly backoffFactor: number;        // default 1.15
  readonly maxLaunchDelaySeconds: number; // default 300
  readonly killGracePeriodSeconds: number; // Marathon `taskKillGracePeriodSeconds`, default 3
  /** Changes whenever anything that affects running tasks changes (a hash of the normalised definition), for redeploy decisions. */
  readonly version: string;
  /** Where it was declared, for messages. */
  readonly source: { readonly file: string; readonly line: number; readonly col: number };
}

/** A ConfigProblem of an app file: errors reject the file, warnings (ignored Marathon keys) are only reported. */
export interface AppProblem extends ConfigProblem {
  readonly severity: Severity;
}

export interface AppFileStatus {
  readonly file: string;                 // absolute path
  readonly status: 'ok' | 'quarantined'; // quarantined = this load failed, last good apps of the file kept
  readonly problems: readonly AppProblem[];
  readonly apps: readonly AppDefinition[];
}

/** `file:line:col: [warning: ]path: message`, as the compilers and `gatehouse validate` print them. */
export function formatAppProblem(p: AppProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export const isAppError = (p: AppProblem): boolean => p.severity !== 'warning';

const validateApp = compileSchema('marathon-app', APP_SCHEMA);
const validateGroup = compileSchema('marathon-group', GROUP_SCHEMA);
/** Key path of each parsed app in its file (`apps[1]`), for messages about it found later (duplicates). */
const keyPaths = new WeakMap<AppDefinition, KeyPath>();
export const appKeyPath = (app: AppDefinition): KeyPath => keyPaths.get(app) ?? [];

type Raw = Record<string, unknown>;
type RawPort = { port?: number; name?: string; protocol?: string; labels?: Raw };
type RawHealthCheck = {
  protocol?: string;
  path?: string;
  portIndex?: number;
  command?: { value: string };
  gracePeriodSeconds?: number;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  maxConsecutiveFailures?: number;
  ignoreHttp1xx?: boolean;
};
type RawApp = {
  id: string;
  cmd?: string;
  args?: string[];
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  ports?: number[];
  portDefinitions?: RawPort[];
  requirePorts?: boolean;
  labels?: Raw;
  env?: Raw;
  healthChecks?: RawHealthCheck[];
  backoffSeconds?: number;
  backoffFactor?: number;
  maxLaunchDelaySeconds?: number;
  taskKillGracePeriodSeconds?: number;
};
type Report = (path: KeyPath, message: string, severity?: Severity, key?: boolean) => void;

/** Parses one app file: one app object, or a group `{ id?: /grp, apps: [...] }`. Any error means no apps. */
export function parseAppFile(text: string, file: string): { apps: AppDefinition[]; problems: AppProblem[] } {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) return { apps: [], problems: doc.problems.map((p) => ({ ...p, severity: 'error' })) };
  const problems: AppProblem[] = [];
  const report: Report = (path, message, severity = 'error', key = false) =>
    problems.push({ file, ...doc.positionOf(path, { key }), path: formatKeyPath(path), message, severity });
  const value = doc.value;
  if (!isRecord(value)) {
    const found = value === null || value === undefined ? 'the file is empty' : `got ${Array.isArray(value) ? 'a list' : typeof value}`;
    report([], `${found}: expected one app (id, cmd, ...) or a group { id: /grp, apps: [...] }`);
    return { apps: [], problems };
  }
  let base = '/';
  let entries: { raw: unknown; at: KeyPath }[] = [{ raw: value, at: [] }];
  if ('apps' in value) {
    const group = strip(value, [], UNSUPPORTED_GROUP_KEYS, report);
    const schema = check(validateGroup, doc, [], group);
    if (schema.length) return { apps: [], problems: [...problems, ...schema] };
    if (group['id'] !== undefined) {
      const id = resolveId(group['id'] as string, '/', false);
      if ('error' in id) report(['id'], id.error);
      else base = id.id;
    }
    entries = (group['apps'] as unknown[]).map((raw, i) => ({ raw, at: ['apps', i] }));
  }
  const apps: AppDefinition[] = [];
  const seen = new Map<string, KeyPath>();
  for (const { raw, at } of entries) {
    const stripped = strip(raw as Raw, at, UNSUPPORTED_APP_KEYS, report);
    if (Array.isArray(stripped['healthChecks'])) {
      stripped['healthChecks'] = stripped['healthChecks'].map((hc: unknown, j) =>
        isRecord(hc) ? strip(hc, [...at, 'healthChecks', j], UNSUPPORTED_HEALTH_CHECK_KEYS, report) : hc,
      );
    }
    const schema = check(validateApp, doc, at, stripped);
    problems.push(...schema);
    if (schema.length) continue;
    const app = buildApp(stripped as RawApp, at, base, doc, report);
    if (!app) continue;
    const first = seen.get(app.id);
    if (first) report([...at, 'id'], `app ${app.id} is already defined in this file at ${formatKeyPath(first) || 'the top'}`);
    else seen.set(app.id, at);
    apps.push(app);
  }
  return { apps: problems.some(isAppError) ? [] : apps, problems };
}

/** Normalises one schema-valid app; null (with the reasons reported) when it breaks a rule across keys. */
function buildApp(raw: RawApp, at: KeyPath, base: string, doc: YamlFile, report: Report): AppDefinition | null {
  let errors = 0;
  const fail = (path: KeyPath, message: string) => {
    errors++;
    report(path, message);
  };
  const id = resolveId(raw.id, base, true);
  if ('error' in id) fail([...at, 'id'], id.error);
  if ((raw.cmd === undefined) === (raw.args === undefined)) fail(at, 'give exactly one of cmd (a shell command) or args (a program and its arguments)');
  if (raw.ports !== undefined && raw.portDefinitions !== undefined) fail([...at, 'ports'], 'give either ports (the old style) or portDefinitions, not both');

  const requirePorts = raw.requirePorts ?? false;
  const rawPorts: { port: RawPort; path: KeyPath; portPath: KeyPath }[] = raw.portDefinitions
    ? raw.portDefinitions.map((port, k) => ({ port, path: [...at, 'portDefinitions', k], portPath: [...at, 'portDefinitions', k, 'port'] }))
    : raw.ports
      ? raw.ports.map((port, k) => ({ port: { port }, path: [...at, 'ports', k], portPath: [...at, 'ports', k] }))
      : [{ port: {}, path: [...at, 'requirePorts'], portPath: [...at, 'requirePorts'] }];
  const names = new Map<string, string>();
  const numbers = new Map<number, string>();
  const portDefinitions = rawPorts.map(({ port, path, portPath }) => {
    const number = port.port ?? 0;
    if (requirePorts && number === 0)
      fail(
        portPath,
        raw.portDefinitions || raw.ports
          ? 'requirePorts: true needs a fixed port here (0 means "any free port")'
          : 'requirePorts: true needs fixed ports; give portDefinitions with non-zero ports',
      );
    if (number !== 0 && numbers.has(number)) fail(portPath, `port ${number} is already used by ${numbers.get(number)}`);
    if (number !== 0 && !numbers.has(number)) numbers.set(number, formatKeyPath(path.slice(at.length)));
    if (port.name !== undefined && names.has(port.name)) fail([...path, 'name'], `port name "${port.name}" is already used by ${names.get(port.name)}`);
    if (port.name !== undefined && !names.has(port.name)) names.set(port.name, formatKeyPath(path.slice(at.length)));
    return { port: number, name: port.name ?? null, protocol: port.protocol ?? 'tcp', labels: strings(port.labels, [...path, 'labels'], fail) };
  });

  const healthChecks = (raw.healthChecks ?? []).map((hc, j): HealthCheckDefinition => {
    const path: KeyPath = [...at, 'healthChecks', j];
    const protocol = (hc.protocol ?? 'HTTP').replace(/^MESOS_/, '') as HealthCheckProtocol;
    if (protocol === 'COMMAND' && !hc.command) fail(path, 'a COMMAND check needs command: { value: "..." }');
    if (protocol !== 'COMMAND' && hc.command)
      fail([...path, 'command'], `command applies to COMMAND checks only, this one is ${hc.protocol ?? 'HTTP (the default)'}`);
    if ((protocol === 'COMMAND' || protocol === 'TCP') && hc.path !== undefined)
      fail([...path, 'path'], `path applies to HTTP and HTTPS checks only, this one is ${hc.protocol}`);
    const portIndex = hc.portIndex ?? 0;
    if ((protocol !== 'COMMAND' || hc.portIndex !== undefined) && portIndex >= portDefinitions.length) {
      const where = hc.portIndex === undefined ? path : [...path, 'portIndex'];
      fail(
        where,
        portDefinitions.length === 0
          ? `the app has no ports (portDefinitions: []), a ${protocol} check needs one`
          : `portIndex ${portIndex} is out of range: the app has ${portDefinitions.length} ` +
            `port${portDefinitions.length === 1 ? '' : 's'} (0..${portDefinitions.length - 1})`,
      );
    }
    return {
      protocol,
      path: hc.path ?? '/',
      portIndex,
      command: hc.command?.value ?? null,
      gracePeriodSeconds: hc.gracePeriodSeconds ?? 300,
      intervalSeconds: hc.intervalSeconds ?? 60,
      timeoutSeconds: hc.timeoutSeconds ?? 20,
      maxConsecutiveFailures: hc.maxConsecutiveFailures ?? 3,
      ignoreHttp1xx: hc.ignoreHttp1xx ?? false,
    };
  });

  const labels = strings(raw.labels, [...at, 'labels'], fail);
  const env = strings(raw.env, [...at, 'env'], fail);
  if (errors || 'error' in id) return null;
  const definition = {
    id: id.id,
    cmd: raw.cmd ?? null,
    args: raw.args ?? null,
    instances: raw.instances ?? 1,
    cpus: raw.cpus ?? 1,
    mem: raw.mem ?? 128,
    disk: raw.disk ?? 0,
    portDefinitions,
    requirePorts,
    labels,
    env,
    healthChecks,
    backoffSeconds: raw.backoffSeconds ?? 1,
    backoffFactor: raw.backoffFactor ?? 1.15,
    maxLaunchDelaySeconds: raw.maxLaunchDelaySeconds ?? 300,
    killGracePeriodSeconds: raw.taskKillGracePeriodSeconds ?? 3,
  };
  const app: AppDefinition = { ...definition, version: versionOf(definition), source: { file: doc.file, ...doc.positionOf(at) } };
  keyPaths.set(app, at);
  return deepFreeze(app);
}

const SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

/**
 * Marathon's path ids: relative ids resolve against the group (`.` and `..` too), empty segments and a
 * trailing `/` are dropped, each segment is lower-case DNS labels joined by dots. An absolute app id in
 * a group must lie inside it.
 */
export function resolveId(raw: string, base: string, isApp: boolean): { id: string } | { error: string } {
  const absolute = raw.startsWith('/');
  const segments: string[] = absolute ? [] : base.split('/').filter(Boolean);
  for (const segment of raw.split('/').filter(Boolean)) {
    if (segment === '.') continue;
    if (segment === '..') {
      if (!segments.length) return { error: `"${raw}" goes above the root group` };
      segments.pop();
      continue;
    }
    if (!SEGMENT.test(segment))
      return {
        error:
          `"${raw}": segment "${segment}" is not valid; use lower-case letters, digits and "-" (dots between labels), ` +
          'starting and ending with a letter or digit',
      };
    segments.push(segment);
  }
  const id = `/${segments.join('/')}`;
  if (isApp && id === '/') return { error: `"${raw}" names the root group, not an app` };
  if (isApp && absolute && base !== '/' && !id.startsWith(`${base}/`))
    return { error: `"${raw}" is not inside the group ${base}; use a relative id or one under ${base}/` };
  return { id };
}

function strings(raw: Raw | undefined, at: KeyPath, fail: (path: KeyPath, message: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (typeof value === 'string') out[key] = value;
    else if (isRecord(value) && 'secret' in value)
      fail([...at, key], 'secret references are not supported (the embedded cluster has no secret store); give the value itself');
    else if (typeof value === 'number' || typeof value === 'boolean')
      fail([...at, key], `must be a string, got ${typeof value} ${String(value)} (quote it: "${String(value)}")`);
    else fail([...at, key], `must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'a mapping'}`);
  }
  return out;
}

/** Drops the Marathon keys we know but do not implement from a copy of `raw`, reporting each. */
function strip(raw: Raw, at: KeyPath, rules: Readonly<Record<string, UnsupportedRule>>, report: Report): Raw {
  if (!isRecord(raw)) return raw;
  const out: Raw = {};
  for (const [key, value] of Object.entries(raw)) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (!rule) out[key] = value;
    else {
      const { severity, message } = rule(value);
      report([...at, key], message, severity, true);
    }
  }
  return out;
}

function check(validate: ValidateFunction, doc: YamlFile, at: KeyPath, value: unknown): AppProblem[] {
  const sub: YamlFile = { file: doc.file, value, problems: [], positionOf: (path, options) => doc.positionOf([...at, ...path], options) };
  const prefix = formatKeyPath(at);
  return checkSchema(validate, sub).map((p) => ({
    ...p,
    path: !prefix ? p.path : !p.path ? prefix : p.path.startsWith('[') ? `${prefix}${p.path}` : `${prefix}.${p.path}`,
    severity: 'error',
  }));
}

function versionOf(definition: object): string {
  return createHash('sha256').update(canonical(definition)).digest('hex').slice(0, 16);
}

/** JSON with sorted keys: reordering labels or env in the file is not a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

function isRecord(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
