// Mesos-DNS's config.json (its configuration docs): same keys (case-insensitive), same defaults, same
// validation, every problem with the file:line:col of the value at fault.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../config/index.js';
import { mesosDnsConfigJson, parseMesosDnsConfig } from '../../dns/index.js';
import { MesosDnsConfigError } from '../../dns/mesos-dns/config.js';

const ENV = { cwd: '/etc/mesos-dns', home: '/home/op' };
const parse = (doc: object, file = 'config.json') => parseMesosDnsConfig(JSON.stringify(doc, null, 1), file, ENV);
const failure = (doc: object | string): MesosDnsConfigError => {
  try {
    if (typeof doc === 'string') parseMesosDnsConfig(doc, 'config.json', ENV);
    else parse(doc);
  } catch (error) {
    if (error instanceof MesosDnsConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be refused');
};
const problems = (doc: object | string): string[] => failure(doc).problems.map(formatProblem);
const MASTERS = { masters: ['10.0.0.1:5050'] };

describe('defaults (as Mesos-DNS documents them)', () => {
  const { config, warnings } = parse(MASTERS);
  const table: [string, unknown, unknown][] = [
    ['Zk', config.zk, ''], ['Masters', config.masters, ['10.0.0.1:5050']], ['ZkDetectionTimeout', config.zkDetectionTimeout, 30],
    ['RefreshSeconds', config.refreshSeconds, 60], ['StateTimeoutSeconds', config.stateTimeoutSeconds, 300], ['TTL', config.ttl, 60],
    ['SRVRecordDefaultWeight', config.srvRecordDefaultWeight, 1], ['Domain', config.domain, 'mesos'], ['Port', config.port, 53],
    ['Listener', config.listener, '0.0.0.0'], ['HTTPListener', config.httpListener, '0.0.0.0'], ['HttpPort', config.httpPort, 8123],
    ['DnsOn', config.dnsOn, true], ['HttpOn', config.httpOn, true], ['ExternalOn', config.externalOn, true],
    ['Resolvers', config.resolvers, [{ host: '8.8.8.8', port: 53 }]], ['Resolvers (text)', config.resolverTexts, ['8.8.8.8']],
    ['ZoneResolvers', config.zoneResolvers, {}], ['Timeout', config.timeout, 5], ['RecurseOn', config.recurseOn, true],
    ['SOAMname', config.soaMname, 'ns1.mesos.'], ['SOARname', config.soaRname, 'root.ns1.mesos.'], ['SOARefresh', config.soaRefresh, 60],
    ['SOARetry', config.soaRetry, 600], ['SOAExpire', config.soaExpire, 86400], ['SOAMinttl', config.soaMinttl, 60],
    ['IPSources', config.ipSources, ['netinfo', 'mesos', 'host']], ['EnforceRFC952', config.enforceRFC952, false],
    ['SetTruncateBit', config.setTruncateBit, true], ['EnumerationOn', config.enumerationOn, true], ['MesosHTTPSOn', config.mesosHTTPSOn, false],
    ['CACertFile', config.caCertFile, ''], ['CertFile', config.certFile, ''], ['KeyFile', config.keyFile, ''],
    ['MesosAuthentication', config.mesosAuthentication, ''], ['MesosCredentials', config.mesosCredentials, { principal: '', secret: '' }],
    ['IAMConfigFile', config.iamConfigFile, ''], ['File (absolute)', config.file, '/etc/mesos-dns/config.json'], ['no warnings', warnings, []],
  ];
  for (const [key, got, want] of table) it(key, () => expect(got).toEqual(want));
});

describe('values', () => {
  const table: { name: string; doc: object; file?: string; check: (c: ReturnType<typeof parse>['config']) => unknown; want: unknown }[] = [
    {
      name: 'keys match case-insensitively (Go decoding)',
      doc: { MASTERS: ['1.2.3.4:5050'], refreshseconds: 5, HTTPPORT: 9000 },
      check: (c) => [c.refreshSeconds, c.httpPort, c.masters],
      want: [5, 9000, ['1.2.3.4:5050']],
    },
    { name: 'the later of two spellings of one key wins', doc: { ...MASTERS, ttl: 5, TTL: 7 }, check: (c) => c.ttl, want: 7 },
    {
      name: 'SOARname: @ becomes a dot, trailing dot added',
      doc: { ...MASTERS, soarname: 'admin@example.com' },
      check: (c) => c.soaRname,
      want: 'admin.example.com.',
    },
    {
      name: 'SOAMname: lower-cased, trailing dot kept once',
      doc: { ...MASTERS, SOAMname: 'NS.Example.com.' },
      check: (c) => c.soaMname,
      want: 'ns.example.com.',
    },
    { name: 'Domain is lower-cased', doc: { ...MASTERS, domain: 'DC1.Mesos' }, check: (c) => c.domain, want: 'dc1.mesos' },
    { name: 'Timeout 0 means 5', doc: { ...MASTERS, timeout: 0 }, check: (c) => c.timeout, want: 5 },
    { name: 'SOAMinttl is accepted (and unused)', doc: { ...MASTERS, SOAMinttl: 5 }, check: (c) => c.soaMinttl, want: 5 },
    {
      name: 'resolvers: ip, ip:port, [v6]:port, bare v6 (canonical)',
      doc: { ...MASTERS, resolvers: ['10.0.0.9', '10.0.0.9:5353', '[2001:0db8::1]:53', '2001:db8::2'] },
      check: (c) => c.resolvers,
      want: [
        { host: '10.0.0.9', port: 53 },
        { host: '10.0.0.9', port: 5353 },
        { host: '2001:db8::1', port: 53 },
        { host: '2001:db8::2', port: 53 },
      ],
    },
    { name: 'empty resolvers stay empty', doc: { ...MASTERS, resolvers: [] }, check: (c) => c.resolvers, want: [] },
    {
      name: 'IPv6 masters',
      doc: { masters: ['[2001:db8::1]:5050', '10.0.0.2:5050'] },
      check: (c) => c.masters,
      want: ['[2001:db8::1]:5050', '10.0.0.2:5050'],
    },
    {
      name: 'zone resolvers side by side (acdc vs dc)',
      doc: { ...MASTERS, zoneResolvers: { 'acdc.example': ['10.0.0.9'], 'dc.example': ['10.0.0.8:53'] } },
      check: (c) => Object.keys(c.zoneResolvers),
      want: ['acdc.example', 'dc.example'],
    },
    {
      name: 'MesosCredentials keys in any case',
      doc: { ...MASTERS, mesoscredentials: { PRINCIPAL: 'p', secret: 's' } },
      check: (c) => c.mesosCredentials,
      want: { principal: 'p', secret: 's' },
    },
    {
      name: 'relative file resolved against cwd',
      doc: MASTERS,
      file: 'conf/c.json',
      check: (c) => c.file,
      want: '/etc/mesos-dns/conf/c.json',
    },
    { name: '~/ expanded from HOME', doc: MASTERS, file: '~/c.json', check: (c) => c.file, want: '/home/op/c.json' },
    { name: 'absolute file kept', doc: MASTERS, file: '/srv/c.json', check: (c) => c.file, want: '/srv/c.json' },
  ];
  for (const c of table) it(c.name, () => expect(c.check(parse(c.doc, c.file).config)).toEqual(c.want));
});

describe('warnings', () => {
  const table: { name: string; doc: object; want: string[] }[] = [
    {
      name: 'unknown keys are ignored, as Mesos-DNS does (old samples carry ns and email)',
      doc: { ...MASTERS, ns: 'x', email: 'y' },
      want: ['config.json: ignoring unknown key "ns" (as Mesos-DNS does)', 'config.json: ignoring unknown key "email" (as Mesos-DNS does)'],
    },
    {
      name: 'zk next to masters: masters are used',
      doc: { ...MASTERS, zk: 'zk://10.0.0.1:2181/mesos' },
      want: ['config.json: "zk" is not supported; using the static "masters" list'],
    },
    {
      name: 'SOASerial and File (from a /v1/config document) are read silently',
      doc: { ...MASTERS, SOASerial: 12, File: '/x.json' },
      want: [],
    },
  ];
  for (const c of table) it(c.name, () => expect(parse(c.doc).warnings).toEqual(c.want));
});

describe('/v1/config document', () => {
  const GO_FIELDS = [
    'RefreshSeconds', 'Port', 'Timeout', 'StateTimeoutSeconds', 'ZkDetectionTimeout', 'HttpPort', 'TTL', 'SRVRecordDefaultWeight', 'SOASerial',
    'SOARefresh', 'SOARetry', 'SOAExpire', 'SOAMinttl', 'SOAMname', 'SOARname', 'Masters', 'ZoneResolvers', 'Resolvers', 'IPSources', 'Zk',
    'Domain', 'File', 'Listener', 'HTTPListener', 'RecurseOn', 'DnsOn', 'HttpOn', 'ExternalOn', 'EnforceRFC952', 'SetTruncateBit',
    'EnumerationOn', 'MesosHTTPSOn', 'CACertFile', 'CertFile', 'KeyFile', 'MesosCredentials', 'IAMConfigFile', 'MesosAuthentication',
  ];
  it('has exactly the Go field names of Mesos-DNS', () => {
    expect(Object.keys(mesosDnsConfigJson(parse(MASTERS).config, 1)).sort()).toEqual([...GO_FIELDS].sort());
  });
  it('shows the serial, the absolute file and the resolvers as written', () => {
    const json = mesosDnsConfigJson(parse({ ...MASTERS, resolvers: ['10.0.0.9:5353'] }).config, 7);
    expect(json).toMatchObject({
      SOASerial: 7,
      File: '/etc/mesos-dns/config.json',
      Resolvers: ['10.0.0.9:5353'],
      Masters: ['10.0.0.1:5050'],
      SOAMname: 'ns1.mesos.',
    });
  });
  it('redacts the Basic secret (Mesos-DNS leaks it)', () => {
    const { config } = parse({ ...MASTERS, mesosCredentials: { principal: 'p', secret: 's3cret' } });
    const json = mesosDnsConfigJson(config, 7);
    expect(json['MesosCredentials']).toEqual({ Principal: 'p', Secret: '[redacted]' });
    expect(JSON.stringify(json)).not.toContain('s3cret');
  });
  it('reads back as a config.json giving the same config', () => {
    const { config } = parse({
      masters: ['10.0.0.1:5050', '[2001:db8::1]:5050'],
      ttl: 5,
      domain: 'dc.example',
      IPSources: ['host', 'netinfo'],
      zoneResolvers: { corp: ['10.0.0.9'] },
      EnforceRFC952: true,
      port: 8053,
    });
    const again = parseMesosDnsConfig(JSON.stringify(mesosDnsConfigJson(config, 99)), 'config.json', ENV);
    expect(again.config).toEqual(config);
    expect(again.warnings).toEqual([]);
  });
});

describe('validation, with the position of the value at fault', () => {
  const table: { name: string; doc: object | string; want: RegExp }[] = [
    { name: 'no masters and no zk', doc: {}, want: /^config.json:1:1: Masters: list at least one master/ },
    { name: 'empty masters list', doc: { masters: [] }, want: /^config.json:2:2: masters: list at least one master/ },
    { name: 'master without port', doc: { masters: ['10.0.0.1'] }, want: /^config.json:3:3: masters\[0\]: "10.0.0.1" is not ip:port/ },
    {
      name: 'master port 0',
      doc: { masters: ['10.0.0.1:0'] },
      want: /masters\[0\]: "10.0.0.1:0" is not ip:port with a port between 1 and 65535/,
    },
    { name: 'master port 65536', doc: { masters: ['10.0.0.1:65536'] }, want: /masters\[0\]: "10.0.0.1:65536" is not ip:port/ },
    {
      name: 'master host name (crashes Mesos-DNS)',
      doc: { masters: ['10.0.0.1:5050', 'master.example:5050'] },
      want: /^config.json:4:3: masters\[1\]: "master.example:5050" does not start with an IP address/,
    },
    {
      name: 'IPv6 master without brackets',
      doc: { masters: ['2001:db8::1:5050'] },
      want: /masters\[0\]: "2001:db8::1:5050" is not ip:port/,
    },
    {
      name: 'duplicate masters',
      doc: { masters: ['10.0.0.1:5050', '10.0.0.1:5050'] },
      want: /masters\[1\]: "10.0.0.1:5050" is listed twice/,
    },
    {
      name: 'duplicate masters after IPv6 normalisation',
      doc: { masters: ['[2001:db8::1]:5050', '[2001:0db8:0::1]:5050'] },
      want: /masters\[1\]: "\[2001:0db8:0::1\]:5050" is listed twice/,
    },
    { name: 'masters not a list', doc: { masters: '10.0.0.1:5050' }, want: /masters: must be a list of strings, got "10.0.0.1:5050"/ },
    { name: 'masters null', doc: { masters: null }, want: /masters: must be a list of strings, got null/ },
    {
      name: 'bad IPSources value',
      doc: { ...MASTERS, IPSources: ['netinfo', 'dns'] },
      want: /IPSources: "dns" is not one of host, docker, mesos, netinfo/,
    },
    { name: 'empty IPSources', doc: { ...MASTERS, IPSources: [] }, want: /IPSources: must list at least one/ },
    { name: 'IPSources twice the same', doc: { ...MASTERS, ipsources: ['host', 'host'] }, want: /ipsources: lists a source twice/ },
    { name: 'resolver host name', doc: { ...MASTERS, resolvers: ['dns.google'] }, want: /resolvers: "dns.google" is not an IP address/ },
    { name: 'resolver port 0', doc: { ...MASTERS, resolvers: ['10.0.0.9:0'] }, want: /resolvers: "10.0.0.9:0" has a port outside 1-65535/ },
    {
      name: 'resolver listed twice (53 implied)',
      doc: { ...MASTERS, resolvers: ['10.0.0.9', '10.0.0.9:53'] },
      want: /resolvers: "10.0.0.9:53" is listed twice/,
    },
    { name: 'domain with a trailing dot', doc: { ...MASTERS, domain: 'mesos.' }, want: /domain: "mesos." is not a domain/ },
    { name: 'domain with a leading dot', doc: { ...MASTERS, domain: '.mesos' }, want: /domain: ".mesos" is not a domain/ },
    { name: 'domain with an underscore', doc: { ...MASTERS, domain: 'my_mesos' }, want: /domain: "my_mesos" is not a domain/ },
    { name: 'empty domain', doc: { ...MASTERS, domain: '' }, want: /domain: "" is not a domain/ },
    { name: 'both servers off', doc: { ...MASTERS, dnson: false, httpon: false }, want: /at least one of DnsOn and HttpOn/ },
    {
      name: 'zone resolver under the Mesos domain',
      doc: { ...MASTERS, zoneResolvers: { 'site.mesos': ['10.0.0.9'] } },
      want: /zoneResolvers.site.mesos: zone "site.mesos" overlaps "mesos"/,
    },
    {
      name: 'zone resolver for the Mesos domain itself',
      doc: { ...MASTERS, zoneResolvers: { mesos: ['10.0.0.9'] } },
      want: /zone "mesos" is the Mesos domain itself/,
    },
    {
      name: 'zone under another zone',
      doc: { ...MASTERS, zoneResolvers: { 'dc.example': ['10.0.0.9'], 'site.dc.example': ['10.0.0.8'] } },
      want: /zone "site.dc.example" overlaps "dc.example"/,
    },
    {
      name: 'zone with an empty list',
      doc: { ...MASTERS, zoneResolvers: { corp: [] } },
      want: /zone "corp" needs a non-empty list of resolvers/,
    },
    { name: 'zone with null', doc: { ...MASTERS, zoneResolvers: { corp: null } }, want: /zone "corp" needs a non-empty list of resolvers/ },
    {
      name: 'zone resolver host name',
      doc: { ...MASTERS, zoneResolvers: { corp: ['ns.corp'] } },
      want: /zone "corp": "ns.corp" is not an IP address/,
    },
    {
      name: 'zone not a domain',
      doc: { ...MASTERS, zoneResolvers: { 'bad zone': ['10.0.0.9'] } },
      want: /zone "bad zone" is not a domain/,
    },
    { name: 'CertFile without KeyFile', doc: { ...MASTERS, CertFile: '/c.pem' }, want: /CertFile and KeyFile go together/ },
    { name: 'KeyFile without CertFile', doc: { ...MASTERS, keyfile: '/k.pem' }, want: /keyfile: CertFile and KeyFile go together/ },
    { name: 'TTL as a string', doc: { ...MASTERS, ttl: '60' }, want: /ttl: must be an integer, got "60"/ },
    { name: 'TTL fractional', doc: { ...MASTERS, ttl: 1.5 }, want: /ttl: must be an integer, got 1.5/ },
    { name: 'negative TTL', doc: { ...MASTERS, ttl: -1 }, want: /ttl: must be between 0 and 2147483647/ },
    { name: 'DnsOn as a string', doc: { ...MASTERS, DnsOn: 'yes' }, want: /DnsOn: must be true or false, got "yes"/ },
    { name: 'RefreshSeconds 0', doc: { ...MASTERS, RefreshSeconds: 0 }, want: /RefreshSeconds: must be greater than 0/ },
    { name: 'StateTimeoutSeconds 0', doc: { ...MASTERS, StateTimeoutSeconds: 0 }, want: /StateTimeoutSeconds: must be greater than 0/ },
    {
      name: 'SRV weight above 65535',
      doc: { ...MASTERS, SRVRecordDefaultWeight: 70000 },
      want: /SRVRecordDefaultWeight: must be between 0 and 65535/,
    },
    { name: 'port above 65535', doc: { ...MASTERS, port: 70000 }, want: /port: must be a port between 1 and 65535/ },
    { name: 'listener not an IP', doc: { ...MASTERS, listener: 'localhost' }, want: /listener: "localhost" is not an IP address/ },
    {
      name: 'unknown authentication',
      doc: { ...MASTERS, MesosAuthentication: 'kerberos' },
      want: /MesosAuthentication: "kerberos" is not one of "", "basic", "iam"/,
    },
    { name: 'SOASerial of the wrong type', doc: { ...MASTERS, SOASerial: 'x' }, want: /SOASerial: must be an integer/ },
    { name: 'broken JSON', doc: '{\n  "masters": [\n', want: /^config.json:3:1:/ },
    { name: 'a list, not an object', doc: '["10.0.0.1:5050"]', want: /^config.json:1:1: the config must be a JSON object/ },
    { name: 'empty file', doc: '', want: /^config.json:1:1: the config must be a JSON object/ },
  ];
  for (const c of table) {
    it(c.name, () => {
      const error = failure(c.doc);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe('ERR_DNS_CONFIG_INVALID');
      expect(problems(c.doc).join('\n')).toMatch(c.want);
    });
  }

  it('zk without masters: refused with its own code, saying to list the masters', () => {
    const error = failure({ zk: 'zk://10.0.0.1:2181/mesos' });
    expect(error.code).toBe('ERR_DNS_CONFIG_ZK_UNSUPPORTED');
    expect(formatProblem(error.problems[0]!)).toMatch(
      /^config.json:2:8: zk: ZooKeeper leader detection is not supported; list the masters' IP:port in "masters"/,
    );
  });

  it('lists every problem at once, in file order', () => {
    const lines = problems({ ttl: 'x', masters: ['a'], domain: 'a..b' });
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(':')[1])).toEqual(['2', '4', '6']);
  });
});
