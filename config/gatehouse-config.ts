// Loads `gatehouse.yaml`: parse with positions, check the shape against the schema, then the meaning
// (what a chosen source needs, addresses, URLs), apply the documented defaults and freeze the result.
// Every problem is collected and reported together, each at its own file:line:col.
import { machineCapacity, type Capacity } from './cgroup-limits.js';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from './errors.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';
import { GATEHOUSE_SCHEMA } from './gatehouse-schema.js';
import { parseListenAddress } from './listen-address.js';
import { checkSchema, compileSchema } from './schema-check.js';
import type { GatehouseConfig, ListenAddress } from './types.js';
import { formatKeyPath, parseYamlFile, type KeyPath, type YamlFile } from './yaml-document.js';
import { deepFreeze, parsePortRanges } from '../core/index.js';

const validateShape = compileSchema('gatehouse-config', GATEHOUSE_SCHEMA);
const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export async function loadConfig(file: string): Promise<GatehouseConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ file: path, line: 1, col: 1, path: '', message: `cannot read the config file (${reason})` }]);
  }
  return parseConfig(text, path);
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- validated by the schema first

export function parseConfig(text: string, file: string): GatehouseConfig {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) throw new ConfigError(doc.problems);
  if (doc.value !== null && doc.value !== undefined && (typeof doc.value !== 'object' || Array.isArray(doc.value))) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'the config must be a mapping of sections (cluster, dns, gateway, authn, mesh, log)' }]);
  }
  const shapeDoc: YamlFile = { ...doc, value: doc.value ?? {} };
  const shapeProblems = checkSchema(validateShape, shapeDoc);
  if (shapeProblems.length) throw new ConfigError(sorted(shapeProblems));

  const raw = shapeDoc.value as Raw;
  const problems: ConfigProblem[] = [];
  const fail = (path: KeyPath, message: string) => problems.push({ file, ...doc.positionOf(path), path: formatKeyPath(path), message });
  const ms = (path: KeyPath, fallback: number): number => {
    const value = get(raw, path);
    return value === undefined ? fallback : (parseDuration(value) ?? fallback);
  };
  const bytes = (path: KeyPath, fallback: number): number => {
    const value = get(raw, path);
    return value === undefined ? fallback : (parseSize(value) ?? fallback);
  };
  // The schema's minimum sees only plain numbers; a size written with a unit ("1k") is checked here.
  const bytesAtLeast = (path: KeyPath, fallback: number, minimum: number, written: string): number => {
    const value = bytes(path, fallback);
    if (value < minimum) fail(path, `must be at least ${written}, got ${JSON.stringify(get(raw, path))}`);
    return value;
  };
  const listen = (path: KeyPath, fallback: string): ListenAddress => {
    const value = (get(raw, path) as string | undefined) ?? fallback;
    const parsed = parseListenAddress(value);
    if (typeof parsed === 'string') {
      fail(path, parsed);
      return { host: '127.0.0.1', port: 0 };
    }
    return parsed;
  };

  const source = (get(raw, ['cluster', 'source']) as GatehouseConfig['cluster']['source'] | undefined) ?? 'local';
  const masters = (get(raw, ['cluster', 'mesos', 'masters']) as string[] | undefined) ?? [];
  masters.forEach((url, i) => checkUrl(url, ['cluster', 'mesos', 'masters', i], fail));
  if (source === 'mesos' && masters.length === 0)
    fail(['cluster', 'source'], 'is mesos: list at least one master URL in cluster.mesos.masters, e.g. ["http://10.0.0.1:5050"]');
  const marathon = (get(raw, ['cluster', 'mesos', 'marathon']) as string | null | undefined) ?? null;
  if (marathon) checkUrl(marathon, ['cluster', 'mesos', 'marathon'], fail);
  const filePath = get(raw, ['cluster', 'file', 'path']) as string | undefined;
  if (source === 'file' && !filePath) fail(['cluster', 'source'], 'is file: set cluster.file.path to a Mesos /master/state document');
  const localPorts = (get(raw, ['cluster', 'local', 'resources', 'ports']) as string | undefined) ?? '31000-32000';
  try {
    parsePortRanges(localPorts);
  } catch (error) {
    fail(['cluster', 'local', 'resources', 'ports'], (error as Error).message);
  }
  const staleAfterMs = ms(['cluster', 'staleAfter'], 75_000);
  const unusableAfterMs = ms(['cluster', 'unusableAfter'], 3 * 86_400_000);
  if (unusableAfterMs <= staleAfterMs) fail(['cluster', 'unusableAfter'], 'must be longer than cluster.staleAfter');

  const domain = String(get(raw, ['dns', 'domain']) ?? 'mesos').toLowerCase();
  if (!DOMAIN.test(domain)) fail(['dns', 'domain'], `"${domain}" is not a domain name (labels of a-z, 0-9 and -, separated by dots, no trailing dot)`);
  const resolvers = ((get(raw, ['dns', 'resolvers']) as string[] | undefined) ?? []).map((text, i) => {
    const parsed = parseListenAddress(text, 53);
    if (typeof parsed === 'string' || !isIP(parsed.host) || parsed.port === 0) {
      fail(['dns', 'resolvers', i], `"${text}" is not an upstream resolver (ip or ip:port)`);
      return { host: '127.0.0.1', port: 53 };
    }
    return parsed;
  });
  const dnsHttpText = get(raw, ['dns', 'http']) as string | undefined;

  const dnsWorkers = (get(raw, ['dns', 'workers']) as number | 'auto' | undefined) ?? DEFAULT_DNS_WORKERS;
  const workers = (get(raw, ['gateway', 'workers']) as number | 'auto' | undefined) ?? DEFAULT_WORKERS;
  const positiveMs = (path: KeyPath, fallback: number): number => {
    const value = ms(path, fallback);
    if (value <= 0) fail(path, 'must be longer than 0 (a request body that never arrives would hold its connection forever)');
    return value;
  };
  const bodyTimeoutMs = positiveMs(['gateway', 'bodyTimeout'], 60_000);
  const discardBodyTimeoutMs = positiveMs(['gateway', 'discardBodyTimeout'], 5_000);
  const advertise = get(raw, ['cluster', 'local', 'advertise']) as string | undefined;
  // Read once, and only when a default needs it: the host's cores and memory under the cgroup's limits.
  let measured: Capacity | null = null;
  const capacity = (): Capacity => (measured ??= machineCapacity());
  const tls = get(raw, ['gateway', 'tls']) as { cert?: string; key?: string } | undefined;
  if (tls && (!tls.cert || !tls.key)) fail(['gateway', 'tls'], 'needs both cert and key');

  // Cross-key rule: no switch turns authentication off for the whole gateway (Admin Router's quirk 8);
  // open routes are opened one by one with `auth: none`.
  const gatewayEnabled = (get(raw, ['gateway', 'enabled']) as boolean | undefined) ?? true;
  const authnEnabled = (get(raw, ['authn', 'enabled']) as boolean | undefined) ?? true;
  if (gatewayEnabled && !authnEnabled) {
    fail(
      ['authn', 'enabled'],
      'is false while gateway.enabled is true: Gatehouse does not run an unauthenticated gateway; set gateway.enabled: false, ' +
        'or keep authn on and open single routes with auth: none (ERR_GATEWAY_NEEDS_AUTHN)',
    );
  }

  const trust = ((get(raw, ['authn', 'trust']) as Raw[] | undefined) ?? []).map((entry, i) => {
    if (!entry['jwks'] === !entry['publicKey']) fail(['authn', 'trust', i], 'give exactly one of jwks or publicKey');
    if (entry['jwks']) checkUrl(entry['jwks'], ['authn', 'trust', i, 'jwks'], fail);
    if (entry['refetchCooldown'] !== undefined && !entry['jwks'])
      fail(['authn', 'trust', i, 'refetchCooldown'], 'applies to jwks entries only (a publicKey is never refetched)');
    const cooldownMs = entry['refetchCooldown'] === undefined ? null : parseDuration(entry['refetchCooldown']);
    return {
      ...(entry['jwks'] ? { jwks: entry['jwks'] as string } : {}),
      ...(entry['publicKey'] ? { publicKey: resolve(entry['publicKey'] as string) } : {}),
      ...(entry['issuer'] ? { issuer: entry['issuer'] as string } : {}),
      ...(entry['audience'] ? { audience: entry['audience'] as string } : {}),
      ...(cooldownMs !== null ? { refetchCooldownMs: cooldownMs } : {}),
    };
  });

  const vipRange = (get(raw, ['mesh', 'vipRange']) as string | undefined) ?? LOOPBACK_VIP_RANGE;
  const rangeProblem = checkVipRange(vipRange);
  if (rangeProblem) fail(['mesh', 'vipRange'], rangeProblem);
  const vipInterface = (get(raw, ['mesh', 'interface']) as string | null | undefined) ?? null;
  if (vipInterface !== null && !rangeProblem && vipRange.startsWith('127.'))
    fail(
      ['mesh', 'interface'],
      `puts mesh.vipRange on an interface, but ${vipRange} lies in 127.0.0.0/8, which is local already: ` +
        'set mesh.vipRange (e.g. 11.0.0.0/8) or remove mesh.interface',
    );
  const meshWorkers = (get(raw, ['mesh', 'workers']) as number | 'auto' | undefined) ?? 1;
  const connectTimeoutMs = ms(['mesh', 'connectTimeout'], 2000);
  if (connectTimeoutMs <= 0) fail(['mesh', 'connectTimeout'], 'must be longer than 0');

  const adminGroup = (get(raw, ['authn', 'adminGroup']) as string | undefined) ?? 'admins';
  const config: GatehouseConfig = {
    file,
    cluster: {
      source,
      local: {
        apps: resolve((get(raw, ['cluster', 'local', 'apps']) as string | undefined) ?? 'config/apps.d'),
        seedApps: typeof get(raw, ['cluster', 'local', 'seedApps']) === 'string' ? resolve(get(raw, ['cluster', 'local', 'seedApps']) as string) : null,
        agents: (get(raw, ['cluster', 'local', 'agents']) as number | undefined) ?? 1,
        workDir: resolve((get(raw, ['cluster', 'local', 'workDir']) as string | undefined) ?? '.gatehouse/work'),
        http: listen(['cluster', 'local', 'http'], '127.0.0.1:5050'),
        advertise: advertise === undefined || advertise === 'auto' ? null : advertise,
        name: (get(raw, ['cluster', 'local', 'name']) as string | undefined) ?? 'gatehouse',
        resources: {
          cpus: (get(raw, ['cluster', 'local', 'resources', 'cpus']) as number | undefined) ?? capacity().cpus,
          // Three quarters of the machine (or of its cgroup's memory limit) by default: the rest stays for Gatehouse and the system.
          mem: (get(raw, ['cluster', 'local', 'resources', 'mem']) as number | undefined) ?? Math.floor((capacity().memoryBytes / 1048576) * 0.75),
          disk: (get(raw, ['cluster', 'local', 'resources', 'disk']) as number | undefined) ?? 10240,
          ports: localPorts,
        },
        isolation: (get(raw, ['cluster', 'local', 'isolation']) as 'auto' | 'none' | undefined) ?? 'auto',
      },
      mesos: { masters, marathon, refreshMs: ms(['cluster', 'mesos', 'refresh'], 5000), timeoutMs: ms(['cluster', 'mesos', 'timeout'], 5000) },
      file: { path: resolve(filePath ?? 'state.json') },
      staleAfterMs,
      unusableAfterMs,
    },
    dns: {
      enabled: (get(raw, ['dns', 'enabled']) as boolean | undefined) ?? true,
      listen: listen(['dns', 'listen'], '127.0.0.1:8053'),
      domain,
      ttl: (get(raw, ['dns', 'ttl']) as number | undefined) ?? 60,
      resolvers,
      resolverTimeoutMs: ms(['dns', 'resolverTimeout'], 5000),
      http: dnsHttpText === '' ? null : listen(['dns', 'http'], '127.0.0.1:8123'),
      ipSources: (get(raw, ['dns', 'ipSources']) as GatehouseConfig['dns']['ipSources'] | undefined) ?? ['netinfo', 'mesos', 'host'],
      enforceRFC952: (get(raw, ['dns', 'enforceRFC952']) as boolean | undefined) ?? false,
      healthyOnly: (get(raw, ['dns', 'healthyOnly']) as boolean | undefined) ?? false,
      workers: dnsWorkers === 'auto' ? capacity().cpuCount : dnsWorkers,
    },
    gateway: {
      enabled: gatewayEnabled,
      listen: listen(['gateway', 'listen'], '127.0.0.1:8080'),
      tls: tls?.cert && tls.key ? { cert: resolve(tls.cert), key: resolve(tls.key) } : null,
      routes: resolve((get(raw, ['gateway', 'routes']) as string | undefined) ?? 'config/routes.d'),
      workers: workers === 'auto' ? capacity().cpuCount : workers,
      maxBodySize: bytes(['gateway', 'maxBodySize'], 1024 ** 3),
      maxHeaderSize: bytes(['gateway', 'maxHeaderSize'], 32 * 1024),
      shutdownTimeoutMs: ms(['gateway', 'shutdownTimeout'], 10_000),
      bodyTimeoutMs,
      discardBodyTimeoutMs,
      discardBodySize: bytes(['gateway', 'discardBodySize'], 1024 ** 2),
      maxConnectionsPerAddress: (get(raw, ['gateway', 'maxConnectionsPerAddress']) as number | undefined) ?? 512,
      engine: (get(raw, ['gateway', 'engine']) as 'lean' | 'node' | undefined) ?? 'lean',
      accept: (get(raw, ['gateway', 'accept']) as 'shared' | 'round-robin' | undefined) ?? 'shared',
      exec: { allow: (get(raw, ['gateway', 'exec', 'allow']) as { uid?: string[]; groups?: string[] } | undefined) ?? {} },
      accessLog: {
        enabled: (get(raw, ['gateway', 'accessLog', 'enabled']) as boolean | undefined) ?? true,
        sample: (get(raw, ['gateway', 'accessLog', 'sample']) as number | undefined) ?? 1,
        bufferBytes: bytesAtLeast(['gateway', 'accessLog', 'buffer'], 4 * 1024 ** 2, 64 * 1024, '64k'),
      },
    },
    authn: {
      enabled: authnEnabled,
      signingKey: resolve((get(raw, ['authn', 'signingKey']) as string | undefined) ?? '.gatehouse/signing-key.pem'),
      users: resolve((get(raw, ['authn', 'users']) as string | undefined) ?? 'config/users.yaml'),
      tokenTtlMs: ms(['authn', 'tokenTtl'], 5 * 86_400_000),
      adminGroup,
      trust,
    },
    mesh: {
      enabled: (get(raw, ['mesh', 'enabled']) as boolean | undefined) ?? true,
      vipRange,
      interface: vipInterface,
      balance: (get(raw, ['mesh', 'balance']) as 'round-robin' | 'least-connections' | undefined) ?? 'round-robin',
      connectTimeoutMs,
      failureBackoffMs: ms(['mesh', 'failureBackoff'], 10_000),
      drainTimeoutMs: ms(['mesh', 'drainTimeout'], 300_000),
      workers: meshWorkers === 'auto' ? capacity().cpuCount : meshWorkers,
    },
    log: { level: (get(raw, ['log', 'level']) as GatehouseConfig['log']['level'] | undefined) ?? 'info' },
  };
  if (problems.length) throw new ConfigError(sorted(problems));
  return deepFreeze(config);
}

/** mesh.vipRange's default, and the range Gatehouse keeps to when mesh.interface cannot be set up. */
export const LOOPBACK_VIP_RANGE = '127.11.0.0/16';

/** One gateway process per core (issue #3); measured in README "Performance → Gateway". */
const DEFAULT_WORKERS: number | 'auto' = 'auto';

/**
 * DNS in the main process by default: with `gateway.workers: auto` the cores already have a gateway
 * process each, one process answers well over the query rates of a cluster's resolvers (README
 * "Performance"), and every DNS worker holds its own answer tables (memory grows with the tasks).
 */
const DEFAULT_DNS_WORKERS: number | 'auto' = 1;

/** An IPv4 CIDR of /8 to /30 (the VIP addresses' range), or what is wrong with it. */
function checkVipRange(text: string): string | null {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match || isIP(match[1]!) !== 4) return `"${text}" is not an IPv4 range (a.b.c.d/prefix, e.g. 127.11.0.0/16)`;
  const prefix = Number(match[2]);
  if (prefix < 8 || prefix > 30) return `"${text}": the prefix must be 8..30 (got /${prefix})`;
  return null;
}

function get(root: Raw, path: KeyPath): unknown {
  let node: unknown = root;
  for (const part of path) node = (node as Raw | undefined)?.[part];
  return node;
}

function checkUrl(text: string, path: KeyPath, fail: (path: KeyPath, message: string) => void): void {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(path, `"${text}" is not an http(s) URL`);
}

function sorted(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
