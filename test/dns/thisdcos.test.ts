// The thisdcos.directory zone served by the real DNS server beside the .mesos zone, asked with dig:
// VIP names (l4lb), task names by agent, container and automatic IP (dcos-net's rules), and the
// zone's authority (SOA/NS, NXDOMAIN, NODATA) as for .mesos.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVipTable } from '../../cluster/index.js';
import { DnsServer, buildRecordSet, buildThisDcosRecordSet } from '../../dns/index.js';
import { zoneOptionsFor } from '../../cli/gatehouse.js';
import { dig } from '../support/dig.js';
import { vipSnapshot } from '../support/vip-cluster.js';

let server: DnsServer;
let port: number;
let vipAddress: string;

beforeAll(async () => {
  const snapshot = await vipSnapshot([
    { id: '/hello', labels: { VIP_0: '/hello:8000' }, tasks: [{ port: 31001 }, { port: 31002 }] },
    { id: '/grp/web', labels: { VIP_0: '/grp/web:80' }, tasks: [{ port: 31003, containerIps: ['9.0.0.7'] }] },
    { id: '/mapped', labels: {}, portLabels: { 'network-scope': 'host' }, tasks: [{ port: 31004, containerIps: ['9.0.0.8'] }] },
    { id: '/stopped', labels: { VIP_0: '/stopped:80' }, tasks: [{ port: 31005, state: 'TASK_KILLED' }] },
  ]);
  const mesos = zoneOptionsFor('mesos', 60);
  const thisDcos = zoneOptionsFor('thisdcos.directory', 5);
  server = new DnsServer({
    listen: { host: '127.0.0.1', port: 0 },
    zone: mesos,
    extraZones: [thisDcos],
    resolvers: [],
    resolverTimeoutMs: 1000,
    mode: 'gatehouse',
    logger: pino({ level: 'silent' }),
  });
  await server.start();
  server.setRecords(
    buildRecordSet(snapshot, {
      domain: 'mesos',
      ipSources: ['netinfo', 'host'],
      enforceRFC952: false,
      soaMname: mesos.soaMname,
      nsIps: ['127.0.0.1'],
    }),
    1,
  );
  const vips = buildVipTable(snapshot, { range: '127.11.0.0/16' });
  vipAddress = vips.vips.find((v) => v.name === 'hello.marathon.l4lb.thisdcos.directory')!.address;
  server.setZoneRecords('thisdcos.directory', buildThisDcosRecordSet(snapshot, { vips, soaMname: thisDcos.soaMname, nsIps: ['127.0.0.1'] }), 7);
  server.setUnavailable(null);
  port = server.address().udpPort;
});

afterAll(() => server.close());

describe('thisdcos.directory', () => {
  const cases: [string, string, () => string[]][] = [
    ['a named VIP', 'hello.marathon.l4lb.thisdcos.directory', () => [vipAddress]],
    [
      'a VIP of a group app (slashes dropped, as DC/OS)',
      'grpweb.marathon.l4lb.thisdcos.directory',
      () => [expect.stringMatching(/^127\.11\./) as unknown as string],
    ],
    ['agentip', 'hello.marathon.agentip.dcos.thisdcos.directory', () => ['127.0.0.1']],
    ['autoip of a host-network task: the agent', 'hello.marathon.autoip.dcos.thisdcos.directory', () => ['127.0.0.1']],
    [
      'containerip of a container-network task (task name web.grp becomes web-grp)',
      'web-grp.marathon.containerip.dcos.thisdcos.directory',
      () => ['9.0.0.7'],
    ],
    ['autoip of a container-network task: the container', 'web-grp.marathon.autoip.dcos.thisdcos.directory', () => ['9.0.0.7']],
    ['autoip of a task with a host-mapped port: the agent', 'mapped.marathon.autoip.dcos.thisdcos.directory', () => ['127.0.0.1']],
    ['leader', 'leader.dcos.thisdcos.directory', () => ['127.0.0.1']],
  ];
  for (const [name, qname, want] of cases) {
    it(name, async () => {
      const result = await dig(port, qname);
      expect(result.status).toBe('NOERROR');
      expect(result.flags).toContain('aa');
      expect(result.answer.map((r) => r.data)).toEqual(want());
    });
  }

  const negative: [string, string, string, string][] = [
    ['an unknown name: NXDOMAIN with the SOA', 'nobody.marathon.l4lb.thisdcos.directory', 'A', 'NXDOMAIN'],
    ['a killed task has no VIP name', 'stopped.marathon.l4lb.thisdcos.directory', 'A', 'NXDOMAIN'],
    ['a known name, no AAAA: NODATA with the SOA', 'hello.marathon.l4lb.thisdcos.directory', 'AAAA', 'NOERROR'],
  ];
  for (const [name, qname, type, status] of negative) {
    it(name, async () => {
      const result = await dig(port, qname, type);
      expect(result.status).toBe(status);
      expect(result.answer).toEqual([]);
      // As in .mesos (Mesos-DNS's answers): the SOA's owner is the question.
      expect(result.authority.map((r) => `${r.name} ${r.type}`)).toEqual([`${qname}. SOA`]);
    });
  }

  it('answers SOA and NS for the zone, and .mesos still answers beside it', async () => {
    expect((await dig(port, 'thisdcos.directory', 'SOA')).authority.map((r) => r.type)).toEqual(['SOA']);
    expect((await dig(port, 'thisdcos.directory', 'NS')).authority.map((r) => r.type)).toEqual(['NS']);
    expect((await dig(port, 'hello.marathon.mesos')).answer.map((r) => r.data)).toEqual(['127.0.0.1']);
  });
});
