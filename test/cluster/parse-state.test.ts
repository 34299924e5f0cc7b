// Reading /master/state: IPs per source exactly as Mesos-DNS picks them (vectors from Mesos-DNS's own tests),
// pids, port ranges, and documents that are not Mesos states.
import { describe, expect, it } from 'vitest';
import { parseMasterState } from '../../cluster/index.js';
import { expandPortRanges } from '../../cluster/state-fields.js';
import { parsePid, canonicalIp } from '../../cluster/process-address.js';

const status = (state: string, timestamp: number, extra: Record<string, unknown> = {}) => ({ state, timestamp, ...extra });
const netinfo = (...ips: string[]) => ({ container_status: { network_infos: [{ ip_addresses: ips.map((ip_address) => ({ ip_address })) }] } });
const label = (key: string, value: string) => ({ key, value });

async function taskIps(statuses: unknown[]) {
  const doc = {
    slaves: [{ id: 'a-S0', pid: 'slave(1)@5.6.7.8:5051' }],
    frameworks: [{ id: 'f', name: 'm', tasks: [{ id: 't', name: 't', slave_id: 'a-S0', state: 'TASK_RUNNING', statuses }] }],
  };
  const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost: async () => [] });
  return snapshot.frameworks[0]!.tasks[0]!.ips;
}

describe('task IPs per source', () => {
  const table: { name: string; statuses: unknown[]; want: Partial<Record<'netinfo' | 'docker' | 'mesos' | 'host', string[]>> }[] = [
    {
      name: 'netinfo list, IPv4 and IPv6',
      statuses: [status('TASK_RUNNING', 1, netinfo('1.2.3.4', 'fd01:b::1:8000:2'))],
      want: { netinfo: ['1.2.3.4', 'fd01:b::1:8000:2'], host: ['5.6.7.8'] },
    },
    {
      name: 'Mesos 0.25 single ip_address',
      statuses: [status('TASK_RUNNING', 1, { container_status: { network_infos: [{ ip_address: '1.2.3.5' }] } })],
      want: { netinfo: ['1.2.3.5'] },
    },
    {
      name: 'only the RUNNING status counts',
      statuses: [status('TASK_RUNNING', 1, netinfo('1.2.3.4')), status('TASK_STOPPED', 2, netinfo('2.3.4.5'))],
      want: { netinfo: ['1.2.3.4'] },
    },
    {
      name: 'newest RUNNING status wins',
      statuses: [
        status('TASK_RUNNING', 1, netinfo('1.1.1.1')),
        status('TASK_RUNNING', 2, { labels: [label('Docker.NetworkSettings.IPAddress', '2.4.6.8')] }),
      ],
      want: { netinfo: [], docker: ['2.4.6.8'] },
    },
    {
      name: 'equal timestamps: the first wins',
      statuses: [status('TASK_RUNNING', 3, netinfo('1.1.1.1')), status('TASK_RUNNING', 3, netinfo('2.2.2.2'))],
      want: { netinfo: ['1.1.1.1'] },
    },
    {
      name: 'two docker labels: both, in order',
      statuses: [
        status('TASK_RUNNING', 1, {
          labels: [label('Docker.NetworkSettings.IPAddress', '1.2.3.4'), label('Docker.NetworkSettings.IPAddress', '2.3.4.5')],
        }),
      ],
      want: { docker: ['1.2.3.4', '2.3.4.5'] },
    },
    {
      name: 'mesos containerizer label',
      statuses: [status('TASK_RUNNING', 1, { labels: [label('MesosContainerizer.NetworkSettings.IPAddress', '10.3.0.3')] })],
      want: { mesos: ['10.3.0.3'] },
    },
    {
      name: 'invalid IP strings are skipped',
      statuses: [status('TASK_RUNNING', 1, netinfo('not-an-ip', '300.1.1.1', '1.2.3.4'))],
      want: { netinfo: ['1.2.3.4'] },
    },
    {
      name: 'IPv4-mapped IPv6 becomes IPv4',
      statuses: [status('TASK_RUNNING', 1, netinfo('::ffff:10.0.0.9'))],
      want: { netinfo: ['10.0.0.9'] },
    },
    {
      name: 'no RUNNING status: nothing but the host',
      statuses: [status('TASK_STAGING', 1, netinfo('1.2.3.4'))],
      want: { netinfo: [], docker: [], mesos: [], host: ['5.6.7.8'] },
    },
  ];
  for (const c of table) it(c.name, async () => expect(await taskIps(c.statuses)).toMatchObject(c.want));
});

describe('what a task keeps', () => {
  // The statuses are read for `ips` and `health` and not kept: nothing reads them again, and at
  // 10,000 tasks they were some 2.5 MB of the primary's heap and more of each gateway worker's.
  it('its fields, and no status history', async () => {
    const running = status('TASK_RUNNING', 1, netinfo('1.2.3.4'));
    const doc = {
      slaves: [{ id: 'a-S0', pid: 'slave(1)@5.6.7.8:5051' }],
      frameworks: [{ id: 'f', name: 'm', tasks: [{ id: 't', name: 't', slave_id: 'a-S0', state: 'TASK_RUNNING', statuses: [running] }] }],
    };
    const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost: async () => [] });
    const task = snapshot.frameworks[0]!.tasks[0]!;
    expect(Object.keys(task).sort()).toEqual([
      'agentId', 'appId', 'discovery', 'frameworkId', 'health', 'id', 'ips', 'labels', 'name', 'resources', 'state', 'vipLabels',
    ]);
    expect(task.ips.netinfo).toEqual(['1.2.3.4']);
  });
});

describe('equal DiscoveryInfos are one object', () => {
  const port = (number: number, labels: unknown[] = []) => ({ number, protocol: 'tcp', name: 'http', labels: { labels } });
  const discovery = (labels: unknown[], number = 8080) => ({ name: 'web', visibility: 'FRAMEWORK', ports: { ports: [port(number, labels)] } });
  const VIP = { key: 'VIP_0', value: '/web:80' };
  async function twoTasks(first: unknown, second: unknown) {
    const tasks = [first, second].map((d, i) => ({ id: `web.${i}`, name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING', discovery: d }));
    const doc = { slaves: [{ id: 'a-S0', pid: 'slave(1)@5.6.7.8:5051' }], frameworks: [{ id: 'f', name: 'marathon', tasks }] };
    const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost: async () => [] });
    const [a, b] = snapshot.frameworks[0]!.tasks;
    return { a: a!.discovery, b: b!.discovery };
  }
  const cases: { name: string; first: unknown; second: unknown; same: boolean }[] = [
    { name: 'two instances of one app (no labels): shared', first: discovery([]), second: discovery([]), same: true },
    { name: 'another port number: not shared', first: discovery([]), second: discovery([], 9090), same: false },
    { name: 'port labels (VIPs): each its own, equal', first: discovery([VIP]), second: discovery([VIP]), same: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { a, b } = await twoTasks(c.first, c.second);
      expect(a).not.toBeNull();
      expect(a === b).toBe(c.same);
      if (c.name.startsWith('port labels')) expect(a).toEqual(b);
    });
  }
});

describe('pids, addresses and port ranges', () => {
  const pids: [string, { host: string; port: number } | null][] = [
    ['master@1.2.3.4:5050', { host: '1.2.3.4', port: 5050 }],
    ['scheduler(1)@[2001:db8::1]:25501', { host: '2001:db8::1', port: 25501 }],
    ['slave(1)@agent.example:5051', { host: 'agent.example', port: 5051 }],
    ['', null], ['@', null], ['1@', null], ['@2', null], ['3@4', null], ['x@1.2.3.4:99999', null], ['x@[nope]:1', null],
  ];
  for (const [pid, want] of pids) it(`pid "${pid}"`, () => expect(parsePid(pid) && { host: parsePid(pid)!.host, port: parsePid(pid)!.port }).toEqual(want));

  const ranges: [unknown, number[]][] = [
    ['[31111-31111, 31115-31117]', [31111, 31115, 31116, 31117]],
    ['', []], ['[]', []], [undefined, []], [5, []],
    ['[31000]', [31000]],
    ['[31000-31001, garbage, 31005-31004, 70000-70001]', [31000, 31001]],
  ];
  for (const [text, want] of ranges) it(`ports ${JSON.stringify(text)}`, () => expect(expandPortRanges(text)).toEqual(want));

  it('canonical IPs', () => {
    expect(canonicalIp('FD01:000B:0000:0000:0000:0001:8000:0002')).toBe('fd01:b::1:8000:2');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('1.2.3')).toBeNull();
  });
});

describe('documents that are not Mesos states', () => {
  const bad: [string, unknown][] = [
    ['null', null],
    ['a number', 42],
    ['a list', []],
    ['a string', 'state'],
    ['no Mesos fields', { hello: 1 }],
    ['slaves not a list', { slaves: {}, leader: 'm@1.2.3.4:5050' }],
  ];
  for (const [name, doc] of bad) {
    it(name, async () => {
      await expect(parseMasterState(doc, { source: { kind: 'file', origin: 'f.json' }, fetchedAt: 0 })).rejects.toMatchObject({
        code: 'ERR_CLUSTER_STATE_INVALID',
        message: expect.stringContaining('f.json'),
      });
    });
  }
  it('falls back to the document pid when there is no leader field (state1.json)', async () => {
    const snapshot = await parseMasterState({ pid: 'master@10.0.0.1:5050', frameworks: [] }, { source: { kind: 'file', origin: 't' }, fetchedAt: 0 });
    expect(snapshot.leader?.address.ips).toEqual(['10.0.0.1']);
  });
});
