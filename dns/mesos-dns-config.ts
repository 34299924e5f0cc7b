// Mesos-DNS's `config.json` (reference mesos-dns.md §3): same keys, matched case-insensitively as
// Go's encoding/json does, same defaults, same validation, errors with file:line:col. Keys Mesos-DNS
// ignores are ignored here too (reported as warnings).
import { isIP } from 'node:net';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import { parseYamlFile } from '../config/yaml-document.js';
import type { IpSource } from '../cluster/snapshot.js';
import type { Upstream } from './forwarder.js';

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
const BY_LOWER = new Map(Object.keys(FIELDS).map((k) => [k.toLowerCase(), k]));
const DOMAIN = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;
const IP_SOURCES = new Set(['host', 'docker', 'mesos', 'netinfo']);

export function parseMesosDnsConfig(text: string, file: string): { config: MesosDnsConfig; warnings: string[] } {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) throw new ConfigError(doc.problems);
  if (typeof doc.value !== 'object' || doc.value === null || Array.isArray(doc.value)) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'the config must be a JSON object' }]);
  }
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const values: Record<string, unknown> = {};
  const keyOf: Record<string, string> = {};
  const fail = (goName: string, message: string, key = false) =>
    problems.push({ file, ...doc.positionOf(keyOf[goName] ? [keyOf[goName]!] : [], { key }), path: keyOf[goName] ?? goName, message });

  for (const [key, value] of Object.entries(doc.value as Record<string, unknown>)) {
    const goName = BY_LOWER.get(key.toLowerCase());
    if (!goName) {
      warnings.push(`${file}: ignoring unknown key "${key}" (as Mesos-DNS does)`);
      continue;
    }
    keyOf[goName] = key;
    const [, kind] = FIELDS[goName]!;
    const ok =
      kind === 'string' ? typeof value === 'string'
      : kind === 'int' ? Number.isInteger(value)
      : kind === 'bool' ? typeof value === 'boolean'
      : kind === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!ok) fail(goName, `must be ${{ string: 'a string', int: 'an integer', bool: 'true or false', strings: 'a list of strings', object: 'an object' }[kind]}, got ${JSON.stringify(value)}`);
    else values[goName] = value;
  }
  const get = <T>(goName: string): T => (goName in values ? values[goName] : FIELDS[goName]![2]) as T;

  const zk = get<string>('Zk');
  const masters = get<string[]>('Masters');
  if (!zk && masters.length === 0) fail('Masters', 'list at least one master ("masters": ["10.0.0.1:5050"]); zk is not supported', true);
  if (zk && masters.length === 0) fail('Zk', 'ZooKeeper leader detection is not supported; list the masters in "masters" instead');
  if (zk && masters.length > 0) warnings.push(`${file}: "zk" is not supported; using the static "masters" list`);
  const seenMasters = new Set<string>();
  for (const master of masters) {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(master);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) fail('Masters', `"${master}" is not host:port with a port between 1 and 65535`);
    const key = match ? `${match[1] ?? match[2]}:${port}` : master;
    if (seenMasters.has(key)) fail('Masters', `"${master}" is listed twice`);
    seenMasters.add(key);
  }

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
    if (!DOMAIN.test(zone)) fail('ZoneResolvers', `zone "${zone}" is not a domain`);
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) fail('ZoneResolvers', `zone "${zone}" needs a non-empty list of resolvers`);
    else parseUpstreams(list as string[], (m) => fail('ZoneResolvers', `zone "${zone}": ${m}`));
    if (zone.toLowerCase() === domain.toLowerCase()) fail('ZoneResolvers', `zone "${zone}" is the Mesos domain itself`);
    for (const other of [...zones.filter((z) => z !== zone), domain]) {
      if (`.${other.toLowerCase()}`.endsWith(`.${zone.toLowerCase()}`) || `.${zone.toLowerCase()}`.endsWith(`.${other.toLowerCase()}`)) {
        fail('ZoneResolvers', `zone "${zone}" overlaps "${other}"`);
      }
    }
  }

  const ipSources = get<string[]>('IPSources');
  if (ipSources.length === 0) fail('IPSources', 'must list at least one of host, docker, mesos, netinfo');
  for (const source of ipSources) if (!IP_SOURCES.has(source)) fail('IPSources', `"${source}" is not one of host, docker, mesos, netinfo`);
  if (new Set(ipSources).size !== ipSources.length) fail('IPSources', 'lists a source twice');
  if (!get<string>('CertFile') !== !get<string>('KeyFile')) fail(get<string>('CertFile') ? 'CertFile' : 'KeyFile', 'CertFile and KeyFile go together: set both or neither');
  const auth = get<string>('MesosAuthentication');
  if (auth !== '' && auth !== 'basic' && auth !== 'iam') fail('MesosAuthentication', `"${auth}" is not one of "", "basic", "iam"`);
  else if (auth !== '') fail('MesosAuthentication', `"${auth}" authentication to the masters is not supported by Gatehouse yet`);
  if (get<string>('CACertFile') || get<string>('CertFile')) fail(get<string>('CACertFile') ? 'CACertFile' : 'CertFile', 'custom CA and client certificates for the masters are not supported by Gatehouse yet');

  if (problems.length) throw new ConfigError(problems.sort((a, b) => a.line - b.line || a.col - b.col));
  const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);
  const credentials = get<Record<string, unknown>>('MesosCredentials');
  const config: MesosDnsConfig = {
    file,
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
    mesosCredentials: { principal: String(credentials['principal'] ?? credentials['Principal'] ?? ''), secret: String(credentials['secret'] ?? credentials['Secret'] ?? '') },
    iamConfigFile: get('IAMConfigFile'),
  };
  return { config, warnings };
}

export function parseUpstreams(texts: readonly string[], fail: (message: string) => void): Upstream[] {
  const out: Upstream[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    const host = match ? match[1]! : text;
    const port = match ? Number(match[2]) : 53;
    if (!isIP(host)) fail(`"${text}" is not an IP address (host names are not allowed)`);
    else if (port < 1 || port > 65535) fail(`"${text}" has a port outside 1-65535`);
    else if (seen.has(`${host}:${port}`)) fail(`"${text}" is listed twice`);
    else {
      seen.add(`${host}:${port}`);
      out.push({ host, port });
    }
  }
  return out;
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
