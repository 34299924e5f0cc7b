// Mesos-DNS's config.json: same keys (case-insensitive), same defaults, same validation, positions.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../config/index.js';
import { mesosDnsConfigJson, parseMesosDnsConfig } from '../../dns/index.js';

const parse = (doc: object) => parseMesosDnsConfig(JSON.stringify(doc, null, 1), 'config.json');
const problems = (doc: object): string[] => {
  try {
    parse(doc);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
};

describe('defaults (reference §3)', () => {
  const { config } = parse({ masters: ['10.0.0.1:5050'] });
  const table: [string, unknown, unknown][] = [
    ['RefreshSeconds', config.refreshSeconds, 60], ['StateTimeoutSeconds', config.stateTimeoutSeconds, 300], ['TTL', config.ttl, 60],
    ['SRVRecordDefaultWeight', config.srvRecordDefaultWeight, 1], ['Domain', config.domain, 'mesos'], ['Port', config.port, 53],
    ['Listener', config.listener, '0.0.0.0'], ['HTTPListener', config.httpListener, '0.0.0.0'], ['HttpPort', config.httpPort, 8123],
    ['DnsOn', config.dnsOn, true], ['HttpOn', config.httpOn, true], ['ExternalOn', config.externalOn, true],
    ['Resolvers', config.resolvers, [{ host: '8.8.8.8', port: 53 }]], ['Timeout', config.timeout, 5], ['RecurseOn', config.recurseOn, true],
    ['SOAMname', config.soaMname, 'ns1.mesos.'], ['SOARname', config.soaRname, 'root.ns1.mesos.'], ['SOARefresh', config.soaRefresh, 60],
    ['SOARetry', config.soaRetry, 600], ['SOAExpire', config.soaExpire, 86400], ['IPSources', config.ipSources, ['netinfo', 'mesos', 'host']],
    ['EnforceRFC952', config.enforceRFC952, false], ['SetTruncateBit', config.setTruncateBit, true], ['EnumerationOn', config.enumerationOn, true],
  ];
  for (const [key, got, want] of table) it(key, () => expect(got).toEqual(want));
});

describe('keys', () => {
  it('match case-insensitively, as Go decodes them', () => {
    const { config } = parse({ Masters: ['1.2.3.4:5050'], refreshseconds: 5, REFRESHSECONDS_NOT: 1, httpport: 9000, soarname: 'admin@example.com' });
    expect(config.refreshSeconds).toBe(5);
    expect(config.httpPort).toBe(9000);
    expect(config.soaRname).toBe('admin.example.com.');
  });
  it('unknown keys are ignored with a warning (old samples carry "ns" and "email")', () => {
    const { warnings } = parse({ masters: ['1.2.3.4:5050'], ns: 'x', email: 'y' });
    expect(warnings).toEqual(['config.json: ignoring unknown key "ns" (as Mesos-DNS does)', 'config.json: ignoring unknown key "email" (as Mesos-DNS does)']);
  });
  it('/v1/config shows Go field names and redacts the Basic secret', () => {
    const { config } = parse({ masters: ['1.2.3.4:5050'], mesosCredentials: { principal: 'p', secret: 's3cret' } });
    const json = mesosDnsConfigJson(config, 7);
    expect(json).toMatchObject({ RefreshSeconds: 60, Masters: ['1.2.3.4:5050'], SOASerial: 7, Resolvers: ['8.8.8.8'], MesosCredentials: { Principal: 'p', Secret: '[redacted]' } });
    expect(JSON.stringify(json)).not.toContain('s3cret');
  });
});

describe('validation, with the position of the key', () => {
  const table: { name: string; doc: object; want: RegExp }[] = [
    { name: 'no masters and no zk', doc: {}, want: /^config.json:1:1: Masters: list at least one master/ },
    { name: 'zk only (not supported)', doc: { zk: 'zk://10.0.0.1:2181/mesos' }, want: /^config.json:2:8: zk: ZooKeeper leader detection is not supported/ },
    { name: 'master without port', doc: { masters: ['10.0.0.1'] }, want: /masters: "10.0.0.1" is not host:port/ },
    { name: 'duplicate masters', doc: { masters: ['10.0.0.1:5050', '10.0.0.1:5050'] }, want: /is listed twice/ },
    { name: 'bad IPSources value', doc: { masters: ['1.2.3.4:5050'], IPSources: ['netinfo', 'dns'] }, want: /IPSources: "dns" is not one of host, docker, mesos, netinfo/ },
    { name: 'empty IPSources', doc: { masters: ['1.2.3.4:5050'], IPSources: [] }, want: /IPSources: must list at least one/ },
    { name: 'resolver host name', doc: { masters: ['1.2.3.4:5050'], resolvers: ['dns.google'] }, want: /resolvers: "dns.google" is not an IP address/ },
    { name: 'domain with a trailing dot', doc: { masters: ['1.2.3.4:5050'], domain: 'mesos.' }, want: /domain: "mesos." is not a domain/ },
    { name: 'both servers off', doc: { masters: ['1.2.3.4:5050'], dnson: false, httpon: false }, want: /at least one of DnsOn and HttpOn/ },
    { name: 'zone resolver overlapping the domain', doc: { masters: ['1.2.3.4:5050'], zoneResolvers: { 'site.mesos': ['10.0.0.9'] } }, want: /zone "site.mesos" overlaps "mesos"/ },
    { name: 'CertFile without KeyFile', doc: { masters: ['1.2.3.4:5050'], CertFile: '/c.pem' }, want: /CertFile and KeyFile go together/ },
    { name: 'wrong type', doc: { masters: ['1.2.3.4:5050'], ttl: '60' }, want: /ttl: must be an integer, got "60"/ },
    { name: 'listener not an IP', doc: { masters: ['1.2.3.4:5050'], listener: 'localhost' }, want: /listener: "localhost" is not an IP address/ },
  ];
  for (const c of table) it(c.name, () => expect(problems(c.doc).join('\n')).toMatch(c.want));
  it('broken JSON points at the error', () => {
    expect(() => parseMesosDnsConfig('{\n  "masters": [\n', 'config.json')).toThrow(/^config.json:3:1:/);
  });
});
