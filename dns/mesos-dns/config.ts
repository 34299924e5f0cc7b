// Mesos-DNS's `config.json` (Mesos-DNS's configuration docs): same keys, matched case-insensitively as
// Go's encoding/json does, same defaults, same validation, errors with file:line:col. Keys Mesos-DNS
// ignores are ignored here too (reported as warnings).
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, parseYamlFile, type ConfigProblem } from '../../config/index.js';
import type { IpSource } from '../../cluster/index.js';
import type { Upstream } from '../server/forwarder.js';
import { canonicalIp, parseUpstreams } from '../records/ip-address.js';

export interface MesosDnsConfig {
  readonly file: string;
  readonly zk: string;
  readonly masters: readonly string[];
  readonly zkDetectionTimeout: number;
  readonly refreshSeconds: number;
  readonly stateTimeoutSeconds: number;
  readonly ttl: number;
  readonly srvRecordDefaultWeight: number;
  readonly domain: string;
  readonly port: number;
  readonly listener: string;
  readonly httpListener: string;
  readonly httpPort: number;
  readonly dnsOn: boolean;
  readonly httpOn: boolean;
  readonly externalOn: boolean;
  readonly resolvers: readonly Upstream[];
  readonly resolverTexts: readonly string[];
  readonly zoneResolvers: Readonly<Record<string, readonly string[]>>;
  readonly timeout: number;
  readonly recurseOn: boolean;
  readonly soaMname: string;
  readonly soaRname: string;
  readonly soaRefresh: number;
  readonly soaRetry: number;
  readonly soaExpire: number;
  readonly soaMinttl: number;
  readonly ipSources: readonly IpSource[];
  readonly enforceRFC952: boolean;
  readonly setTruncateBit: boolean;
  readonly enumerationOn: boolean;
  readonly mesosHTTPSOn: boolean;
  readonly caCertFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly mesosAuthentication: string;
  readonly mesosCredentials: { readonly principal: string; readonly secret: string };
  readonly iamConfigFile: string;
}

type Kind = 'string' | 'int' | 'bool' | 'strings' | 'object';
// Go field name -> [our field, kind, default].
const FIELDS: Record<string, [keyof MesosDnsConfig, Kind, unknown]> = {
  Zk: ['zk', 'string', ''],
  Masters: ['masters', 'strings', []],
  ZkDetectionTimeout: ['zkDetectionTimeout', 'int', 30],
  RefreshSeconds: ['refreshSeconds', 'int', 60],
  StateTimeoutSeconds: ['stateTimeoutSeconds', 'int', 300],
  TTL: ['ttl', 'int', 60],
  SRVRecordDefaultWeight: ['srvRecordDefaultWeight', 'int', 1],
  Domain: ['domain', 'string', 'mesos'],
  Port: ['port', 'int', 53],
  Listener: ['listener', 'string', '0.0.0.0'],
  HTTPListener: ['httpListener', 'string', '0.0.0.0'],
  HttpPort: ['httpPort', 'int', 8123],
  DnsOn: ['dnsOn', 'bool', true],
  HttpOn: ['httpOn', 'bool', true],
  ExternalOn: ['externalOn', 'bool', true],
  Resolvers: ['resolverTexts', 'strings', ['8.8.8.8']],
  ZoneResolvers: ['zoneResolvers', 'object', {}],
  Timeout: ['timeout', 'int', 5],
  RecurseOn: ['recurseOn', 'bool', true],
  SOAMname: ['soaMname', 'string', 'ns1.mesos'],
  SOARname: ['soaRname', 'string', 'root.ns1.mesos'],
  SOARefresh: ['soaRefresh', 'int', 60],
  SOARetry: ['soaRetry', 'int', 600],
  SOAExpire: ['soaExpire', 'int', 86400],
  SOAMinttl: ['soaMinttl', 'int', 60],
  IPSources: ['ipSources', 'strings', ['netinfo', 'mesos', 'host']],
  EnforceRFC952: ['enforceRFC952', 'bool', false],
  SetTruncateBit: ['setTruncateBit', 'bool', true],
  EnumerationOn: ['enumerationOn', 'bool', true],
  MesosHTTPSOn: ['mesosHTTPSOn', 'bool', false],
  CACertFile: ['caCertFile', 'string', ''],
  CertFile: ['certFile', 'string', ''],
  KeyFile: ['keyFile', 'string', ''],
  MesosAuthentication: ['mesosAuthentication', 'string', ''],
  MesosCredentials: ['mesosCredentials', 'object', {}],
  IAMConfigFile: ['iamConfigFile', 'string', ''],
};
// Keys Mesos-DNS reads but always overwrites (the serial at each load, File with the config's path):
// accepted so that a /v1/config document reads back as a config.json.
const OVERWRITTEN: Record<string, Kind> = { SOASerial: 'int', File: 'string' };
const OVERWRITTEN_BY_LOWER = new Map(Object.keys(OVERWRITTEN).map((k) => [k.toLowerCase(), k]));

/** A config.json that cannot be used. The code names the ZooKeeper case, which needs a config change. */
export class MesosDnsConfigError extends ConfigError {
  override readonly code: 'ERR_DNS_CONFIG_ZK_UNSUPPORTED' | 'ERR_DNS_CONFIG_INVALID';

  constructor(problems: readonly ConfigProblem[], zkOnly: boolean) {
    super(problems);
    this.code = zkOnly ? 'ERR_DNS_CONFIG_ZK_UNSUPPORTED' : 'ERR_DNS_CONFIG_INVALID';
  }
}

/** Where relative and `~/` config paths start from (defaults: the process's cwd and HOME). */
export interface ConfigPathEnv {
  readonly cwd?: string;
  readonly home?: string;
}
const BY_LOWER = new Map(Object.keys(FIELDS).map((k) => [k.toLowerCase(), k]));
const DOMAIN = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;
const IP_SOURCES = new Set(['host', 'docker', 'mesos', 'netinfo']);

export function parseMesosDnsConfig(text: string, file: string, env: ConfigPathEnv = {}): { config: MesosDnsConfig; warnings: string[] } {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) throw new MesosDnsConfigError(doc.problems, false);
  if (typeof doc.value !== 'object' || doc.value === null || Array.isArray(doc.value)) {
    throw new MesosDnsConfigError([{ file, line: 1, col: 1, path: '', message: 'the config must be a JSON object' }], false);
  }
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const values: Record<string, unknown> = {};
  const keyOf: Record<string, string> = {};
  // `item`: the list element or zone at fault, so that the position points at it, not at the key.
  const fail = (goName: string, message: string, key = false, item?: string | number) => {
    const at = keyOf[goName];
    const path = at === undefined ? [] : item === undefined ? [at] : [at, item];
    const shown = at === undefined ? goName : item === undefined ? at : typeof item === 'number' ? `${at}[${item}]` : `${at}.${item}`;
    problems.push({ file, ...doc.positionOf(path, { key }), path: shown, message });
  };

  for (const [key, value] of Object.entries(doc.value as Record<string, unknown>)) {
    const goName = BY_LOWER.get(key.toLowerCase());
    const overwritten = OVERWRITTEN_BY_LOWER.get(key.toLowerCase());
    if (overwritten) {
      if (!hasKind(value, OVERWRITTEN[overwritten]!))
        problems.push({
          file,
          ...doc.positionOf([key]),
          path: key,
          message: `must be ${KIND_TEXT[OVERWRITTEN[overwritten]!]}, got ${JSON.stringify(value)}`,
        });
      continue;
    }
    if (!goName) {
      warnings.push(`${file}: ignoring unknown key "${key}" (as Mesos-DNS does)`);
      continue;
    }
    keyOf[goName] = key;
    const [, kind] = FIELDS[goName]!;
    if (!hasKind(value, kind)) fail(goName, `must be ${KIND_TEXT[kind]}, got ${JSON.stringify(value)}`);
    else values[goName] = value;
  }
  const get = <T>(goName: string): T => (goName in values ? values[goName] : FIELDS[goName]![2]) as T;

  const zk = get<string>('Zk');
  const masters = get<string[]>('Masters');
  if (!zk && masters.length === 0) fail('Masters', 'list at least one master ("masters": ["10.0.0.1:5050"]); zk is not supported', true);
  const zkOnly = Boolean(zk) && masters.length === 0;
  if (zkOnly) fail('Zk', 'ZooKeeper leader detection is not supported; list the masters\' IP:port in "masters" instead (e.g. "masters": ["10.0.0.1:5050"])');
  if (zk && masters.length > 0) warnings.push(`${file}: "zk" is not supported; using the static "masters" list`);
  const seenMasters = new Set<string>();
  masters.forEach((master, index) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(master);
    const port = Number(match?.[3]);
    const ip = canonicalIp(match?.[1] ?? match?.[2] ?? '');
    if (!match || port < 1 || port > 65535) fail('Masters', `"${master}" is not ip:port with a port between 1 and 65535`, false, index);
    // Mesos-DNS accepts host names here and then crashes building master records: refuse them now.
    else if (!ip) fail('Masters', `"${master}" does not start with an IP address (host names are not supported; IPv6 as [addr]:port)`, false, index);
    else if (seenMasters.has(`${ip}:${port}`)) fail('Masters', `"${master}" is listed twice`, false, index);
    else seenMasters.add(`${ip}:${port}`);
  });

  const positive = (goName: string) => {
    if (!(get<number>(goName) > 0)) fail(goName, 'must be greater than 0');
  };
  positive('RefreshSeconds');
  positive('StateTimeoutSeconds');
  const ttl = get<number>('TTL');
  if (ttl < 0 || ttl > 2147483647) fail('TTL', 'must be between 0 and 2147483647');
  const weight = get<number>('SRVRecordDefaultWeight');
  if (weight < 0 || weight > 65535) fail('SRVRecordDefaultWeight', 'must be between 0 and 65535');
  const domain = get<string>('Domain');
  if (!DOMAIN.test(domain)) fail('Domain', `"${domain}" is not a domain (letters, digits and -, dot-separated, no leading or trailing dot)`);
  for (const goName of ['Port', 'HttpPort']) {
    const port = get<number>(goName);
    if (port < 0 || port > 65535) fail(goName, 'must be a port between 1 and 65535 (0 picks a free port)');
  }
  for (const goName of ['Listener', 'HTTPListener']) if (!isIP(get<string>(goName))) fail(goName, `"${get<string>(goName)}" is not an IP address`);
  if (!get<boolean>('DnsOn') && !get<boolean>('HttpOn')) fail('DnsOn', 'at least one of DnsOn and HttpOn must be true');

  const resolverTexts = get<string[]>('Resolvers');
  const resolvers = parseUpstreams(resolverTexts, (m) => fail('Resolvers', m));
  const zoneResolvers = get<Record<string, unknown>>('ZoneResolvers');
  const zones = Object.keys(zoneResolvers);
  for (const zone of zones) {
    const list = zoneResolvers[zone];
    if (!DOMAIN.test(zone)) fail('ZoneResolvers', `zone "${zone}" is not a domain`, true, zone);
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string'))
      fail('ZoneResolvers', `zone "${zone}" needs a non-empty list of resolvers`, false, zone);
    else parseUpstreams(list as string[], (m) => fail('ZoneResolvers', `zone "${zone}": ${m}`, false, zone));
    if (zone.toLowerCase() === domain.toLowerCase()) fail('ZoneResolvers', `zone "${zone}" is the Mesos domain itself`, true, zone);
    for (const other of [...zones.filter((z) => z !== zone), domain]) {
      if (`.${other.toLowerCase()}`.endsWith(`.${zone.toLowerCase()}`) || `.${zone.toLowerCase()}`.endsWith(`.${other.toLowerCase()}`)) {
        fail('ZoneResolvers', `zone "${zone}" overlaps "${other}"`, true, zone);
      }
    }
  }

  const ipSources = get<string[]>('IPSources');
  if (ipSources.length === 0) fail('IPSources', 'must list at least one of host, docker, mesos, netinfo');
  for (const source of ipSources) if (!IP_SOURCES.has(source)) fail('IPSources', `"${source}" is not one of host, docker, mesos, netinfo`);
  if (new Set(ipSources).size !== ipSources.length) fail('IPSources', 'lists a source twice');
  if (!get<string>('CertFile') !== !get<string>('KeyFile'))
    fail(get<string>('CertFile') ? 'CertFile' : 'KeyFile', 'CertFile and KeyFile go together: set both or neither');
  const auth = get<string>('MesosAuthentication');
  if (auth !== '' && auth !== 'basic' && auth !== 'iam') fail('MesosAuthentication', `"${auth}" is not one of "", "basic", "iam"`);
  else if (auth !== '') fail('MesosAuthentication', `"${auth}" authentication to the masters is not supported by Gatehouse yet`);
  if (get<string>('CACertFile') || get<string>('CertFile'))
    fail(
      get<string>('CACertFile') ? 'CACertFile' : 'CertFile',
      'custom CA and client certificates for the masters are not supported by Gatehouse yet',
    );

  if (problems.length) throw new MesosDnsConfigError(problems.sort((a, b) => a.line - b.line || a.col - b.col), zkOnly);
  const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);
  const credentials = get<Record<string, unknown>>('MesosCredentials');
  const home = env.home ?? process.env['HOME'] ?? process.env['USERPROFILE'];
  const expanded = file.startsWith('~/') && home ? `${home}${file.slice(1)}` : file;
  const config: MesosDnsConfig = {
    file: isAbsolute(expanded) ? expanded : resolve(env.cwd ?? process.cwd(), expanded),
    zk,
    masters,
    zkDetectionTimeout: get('ZkDetectionTimeout'),
    refreshSeconds: get('RefreshSeconds'),
    stateTimeoutSeconds: get('StateTimeoutSeconds'),
    ttl,
    srvRecordDefaultWeight: weight,
    domain: domain.toLowerCase(),
    port: get('Port'),
    listener: get('Listener'),
    httpListener: get('HTTPListener'),
    httpPort: get('HttpPort'),
    dnsOn: get('DnsOn'),
    httpOn: get('HttpOn'),
    externalOn: get('ExternalOn'),
    resolvers,
    resolverTexts,
    zoneResolvers: zoneResolvers as Record<string, string[]>,
    timeout: get<number>('Timeout') || 5,
    recurseOn: get('RecurseOn'),
    soaMname: fqdn(get<string>('SOAMname')).toLowerCase(),
    soaRname: fqdn(get<string>('SOARname').replace('@', '.')).toLowerCase(),
    soaRefresh: get('SOARefresh'),
    soaRetry: get('SOARetry'),
    soaExpire: get('SOAExpire'),
    soaMinttl: get('SOAMinttl'),
    ipSources: ipSources as IpSource[],
    enforceRFC952: get('EnforceRFC952'),
    setTruncateBit: get('SetTruncateBit'),
    enumerationOn: get('EnumerationOn'),
    mesosHTTPSOn: get('MesosHTTPSOn'),
    caCertFile: get('CACertFile'),
    certFile: get('CertFile'),
    keyFile: get('KeyFile'),
    mesosAuthentication: auth,
    mesosCredentials: { principal: credentialOf(credentials, 'principal'), secret: credentialOf(credentials, 'secret') },
    iamConfigFile: get('IAMConfigFile'),
  };
  return { config, warnings };
}

export { parseUpstreams };

const KIND_TEXT: Record<Kind, string> = { string: 'a string', int: 'an integer', bool: 'true or false', strings: 'a list of strings', object: 'an object' };

function hasKind(value: unknown, kind: Kind): boolean {
  return kind === 'string' ? typeof value === 'string'
    : kind === 'int' ? Number.isInteger(value)
    : kind === 'bool' ? typeof value === 'boolean'
    : kind === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
    : typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Principal` / `Secret`, matched case-insensitively like every other key. */
function credentialOf(credentials: Record<string, unknown>, field: string): string {
  for (const [key, value] of Object.entries(credentials)) if (key.toLowerCase() === field && typeof value === 'string') return value;
  return '';
}

/** The `/v1/config` document: the runtime config with Go field names (secret redacted, unlike Mesos-DNS). */
export function mesosDnsConfigJson(config: MesosDnsConfig, serial: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [goName, [field]] of Object.entries(FIELDS)) out[goName] = config[field];
  out['Resolvers'] = config.resolverTexts;
  out['MesosCredentials'] = { Principal: config.mesosCredentials.principal, Secret: config.mesosCredentials.secret ? '[redacted]' : '' };
  out['SOASerial'] = serial;
  out['File'] = config.file;
  return out;
}
