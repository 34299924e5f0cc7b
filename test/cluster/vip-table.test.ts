// The VIP table from a snapshot: DC/OS's label forms and names, backends, problems named by app and
// label, and addresses that depend on the names alone.
import { describe, expect, it } from 'vitest';
import { assignAddresses, buildVipTable, namedVipFqdn, parseVipRange, parseVipValue } from '../../cluster/index.js';
import { vipSnapshot, type VipAppSpec } from '../support/vip-cluster.js';

const RANGE = '127.11.0.0/16';

describe('VIP label values', () => {
  const cases: [string, string, ReturnType<typeof parseVipValue>][] = [
    ['named with Marathon slash', '/hello:8000', { kind: 'named', name: '/hello', port: 8000 }],
    ['named without slash', 'myservice:6666', { kind: 'named', name: 'myservice', port: 6666 }],
    ['IP VIP', '10.1.2.3:5000', { kind: 'ip', ip: '10.1.2.3', port: 5000 }],
    ['nonsense', 'nonsense', { kind: 'invalid', reason: '"nonsense" is not a VIP: expected /name:port or ip:port' }],
    ['port out of range', '/web:70000', { kind: 'invalid', reason: '"/web:70000": port 70000 is out of range 1..65535' }],
    ['port zero', '/web:0', { kind: 'invalid', reason: '"/web:0": port 0 is out of range 1..65535' }],
    ['port not a number', '/web:http', { kind: 'invalid', reason: '"/web:http": "http" is not a port number' }],
    ['name of punctuation only', '/:80', { kind: 'invalid', reason: '"/:80": the name has no letters or digits' }],
  ];
  for (const [name, value, expected] of cases) it(name, () => expect(parseVipValue(value)).toEqual(expected));
});

describe('named VIP names (dcos-net label rules)', () => {
  const cases: [string, string, string][] = [
    ['a top-level app', '/hello', 'hello.marathon.l4lb.thisdcos.directory'],
    ['a group: slashes are dropped, as DC/OS documents /dcos-101/app2', '/dcos-101/app2', 'dcos-101app2.marathon.l4lb.thisdcos.directory'],
    ['upper case and underscores', '/My_Service', 'my-service.marathon.l4lb.thisdcos.directory'],
    ['dots split labels', 'a.b', 'a.b.marathon.l4lb.thisdcos.directory'],
  ];
  for (const [name, vip, fqdn] of cases) it(name, () => expect(namedVipFqdn(vip, 'marathon')).toBe(fqdn));
});

describe('VIP table', () => {
  it('groups the tasks of a named VIP as its backends, running and not unhealthy only', async () => {
    const table = buildVipTable(
      await vipSnapshot([
        {
          id: '/hello',
          labels: { VIP_0: '/hello:8000' },
          tasks: [{ port: 31001 }, { port: 31002 }, { port: 31003, healthy: false }, { port: 31004, state: 'TASK_STAGING' }],
        },
      ]),
      { range: RANGE },
    );
    expect(table.problems).toEqual([]);
    expect(table.vips).toHaveLength(1);
    const vip = table.vips[0]!;
    expect(vip).toMatchObject({
      key: 'tcp://hello.marathon.l4lb.thisdcos.directory:8000',
      name: 'hello.marathon.l4lb.thisdcos.directory',
      port: 8000,
      apps: ['/hello'],
    });
    expect(vip.address).toMatch(/^127\.11\.\d+\.\d+$/);
    expect(vip.backends.map((b) => `${b.ip}:${b.port}`)).toEqual(['127.0.0.1:31001', '127.0.0.1:31002']);
  });

  it('a container-network task is reached on its container IP, unless the port is host-scoped', async () => {
    const table = buildVipTable(await vipSnapshot([
      { id: '/c', labels: { VIP_0: '/c:80' }, tasks: [{ port: 8080, containerIps: ['9.0.0.7'] }] },
      { id: '/h', labels: { VIP_0: '/h:80' }, portLabels: { 'network-scope': 'host' }, tasks: [{ port: 31500, containerIps: ['9.0.0.8'] }] },
    ]), { range: RANGE });
    const backends = Object.fromEntries(table.vips.map((v) => [v.name, v.backends.map((b) => `${b.ip}:${b.port}`)]));
    expect(backends).toEqual({ 'c.marathon.l4lb.thisdcos.directory': ['9.0.0.7:8080'], 'h.marathon.l4lb.thisdcos.directory': ['127.0.0.1:31500'] });
  });

  it('reports bad labels with app and label, and the other apps keep their VIPs', async () => {
    const apps: VipAppSpec[] = [
      { id: '/good', labels: { VIP_0: '/good:80' }, tasks: [{ port: 31010 }] },
      { id: '/nonsense', labels: { VIP_0: 'nonsense' }, tasks: [{ port: 31011 }] },
      { id: '/range', labels: { VIP_0: '/range:99999' }, tasks: [{ port: 31012 }] },
      { id: '/first', labels: { VIP_0: '127.12.0.9:80' }, tasks: [{ port: 31013 }] },
      { id: '/second', labels: { VIP_0: '127.12.0.9:80' }, tasks: [{ port: 31014 }] },
      { id: '/udp', labels: { VIP_1: '/udp:53' }, protocol: 'sctp', tasks: [{ port: 31015 }] },
    ];
    const table = buildVipTable(await vipSnapshot(apps), { range: RANGE });
    expect(table.problems.map((p) => `${p.app} ${p.label}: ${p.message}`).sort()).toEqual([
      '/nonsense VIP_0: "nonsense" is not a VIP: expected /name:port or ip:port',
      '/range VIP_0: "/range:99999": port 99999 is out of range 1..65535',
      '/second VIP_0: IP VIP 127.12.0.9:80 is already claimed by app /first',
      '/udp VIP_1: the port\'s protocol "sctp" is neither tcp nor udp',
    ]);
    expect(table.vips.map((v) => `${v.key} ${v.apps.join(',')} ${v.backends.map((b) => b.port).join(',')}`)).toEqual([
      'tcp://127.12.0.9:80 /first 31013',
      'tcp://good.marathon.l4lb.thisdcos.directory:80 /good 31010',
    ]);
  });
});

describe('VIP addresses', () => {
  it('depend on the names only: any order, any other content, same addresses', () => {
    const range = parseVipRange(RANGE) as { first: number; last: number };
    const a = assignAddresses(['a.marathon', 'b.marathon', 'c.marathon'], range);
    const b = assignAddresses(['c.marathon', 'a.marathon', 'b.marathon', 'a.marathon'], range);
    expect([...b].sort()).toEqual([...a].sort());
  });

  it('resolve collisions by the next free address, in name order, never handing out reserved ones', () => {
    const tiny = parseVipRange('127.11.0.0/30') as { first: number; last: number }; // two usable addresses
    const out = assignAddresses(['x', 'y'], tiny);
    expect(new Set(out.values()).size).toBe(2);
    expect([...out.values()].every((ip) => ip === '127.11.0.1' || ip === '127.11.0.2')).toBe(true);
    const reserved = assignAddresses(['x'], tiny, new Set([tiny.last]));
    expect(reserved.get('x')).toBe('127.11.0.1');
    expect(assignAddresses(['x', 'y', 'z'], tiny).size).toBe(2);
  });

  const ranges: [string, string, string | { first: string; last: string }][] = [
    ['a /16', '127.11.0.0/16', { first: '127.11.0.1', last: '127.11.255.254' }],
    ['not a CIDR', '127.11.0.0', '"127.11.0.0" is not an IPv4 range (a.b.c.d/prefix)'],
    ['too narrow', '127.11.0.0/31', '"127.11.0.0/31": the prefix must be 8..30 (got /31)'],
  ];
  for (const [name, cidr, expected] of ranges) {
    it(`range: ${name}`, () => {
      const parsed = parseVipRange(cidr);
      const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      expect(typeof parsed === 'string' ? parsed : { first: ip(parsed.first), last: ip(parsed.last) }).toEqual(expected);
    });
  }
});
