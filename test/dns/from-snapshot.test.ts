// The record generator's edges that mutation testing found unchecked (TESTING.md): an agent, framework
// or leader whose address did not resolve, a task without an address or without host ports, a
// DiscoveryInfo without a name and a port without a name, the port numbers at each end of the range,
// and how the masterN names are numbered (the leader's place, entries listed twice, IPv6, texts that
// are not exactly `ip:port`). Each case lists every name the set holds, so a name created without a
// record fails it too. The common shapes are in records.test.ts and records-synthetic.test.ts.
import { describe, expect, it } from 'vitest';
import type { Agent, Framework, Master, ProcessAddress, SnapshotData, Task } from '../../cluster/index.js';
import { buildRecordSet, type RecordOptions } from '../../dns/records/from-snapshot.js';
import { hashTaskId } from '../../dns/records/labels.js';
import type { RecordSet } from '../../dns/records/record-set.js';
import { snapshotOf, taskOn, type TaskSpec } from '../support/snapshot-parts.js';

const OPTIONS: RecordOptions = { domain: 'mesos', ipSources: ['netinfo', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: [] };

/** A libprocess address; `ips` empty when its host is a name that did not resolve. */
const pid = (host: string, port: number, ips = [host]): ProcessAddress => ({ raw: `x@${host.includes(':') ? `[${host}]` : host}:${port}`, host, port, ips });
const agent = (ips: string[], address: ProcessAddress | null = ips[0] ? pid(ips[0], 5051) : null): Agent => ({
  id: 'a1-S0', hostname: 'agent', pid: address, ips, active: true, resources: {}, attributes: {},
});
const task = (on: Agent, t: Omit<TaskSpec, 'on'>): Task => taskOn({ on, ...t });
const framework = (name: string, ips: string[], tasks: Task[], address: ProcessAddress | null = null): Framework => ({
  id: `fw-${name}`, name, pid: address, hostname: 'scheduler', ips, active: true, webuiUrl: null, tasks,
});
const master = (ip: string, port = 5050, ips = [ip]): Master => ({ address: pid(ip, port, ips) });
const snapshot = snapshotOf;

/** Every name with its records as text: `name A 10.0.0.1`, `name SRV target:port`. */
function contents(records: RecordSet): string[] {
  return [...records.names].flatMap(([name, r]) => [
    ...r.a.map((ip) => `${name} A ${ip}`),
    ...r.aaaa.map((ip) => `${name} AAAA ${ip}`),
    ...r.srv.map((v) => `${name} SRV ${v.target}:${v.port}`),
    ...(r.a.length + r.aaaa.length + r.srv.length === 0 ? [`${name} (no records)`] : []),
  ]).sort();
}

const H = hashTaskId('t1');
const on = agent(['10.0.0.1']);
const SLAVE = ['slave.mesos. A 10.0.0.1', '_slave._tcp.mesos. SRV slave.mesos.:5051'];
const TASK_ON_SLAVE = ['web.fw.slave.mesos. A 10.0.0.1', `web-${H}-s0.fw.slave.mesos. A 10.0.0.1`];

interface Case {
  name: string;
  snapshot: SnapshotData;
  options?: Partial<RecordOptions>;
  want: string[];
}

describe('buildRecordSet: what mutation testing found unchecked', () => {
  const cases: Case[] = [
    {
      name: 'an agent whose pid host did not resolve: no slave.mesos., no _slave._tcp',
      snapshot: snapshot({ agents: [agent([], pid('agent.example', 5051, []))] }),
      want: [],
    },
    {
      name: 'an agent with an address but no pid: slave.mesos. without _slave._tcp',
      snapshot: snapshot({ agents: [agent(['10.0.0.1'], null)] }),
      want: ['slave.mesos. A 10.0.0.1'],
    },
    {
      name: 'a task with no address from the IP sources: no task names outside .slave (never a name without records)',
      snapshot: snapshot({ agents: [on], frameworks: [framework('fw', [], [task(on, {})])] }),
      options: { ipSources: ['netinfo'] },
      want: [...SLAVE, ...TASK_ON_SLAVE],
    },
    {
      name: 'a task without host ports: no SRV names',
      snapshot: snapshot({ agents: [on], frameworks: [framework('fw', [], [task(on, {})])] }),
      want: [...SLAVE, ...TASK_ON_SLAVE, 'web.fw.mesos. A 10.0.0.1', `web-${H}-s0.fw.mesos. A 10.0.0.1`],
    },
    {
      name: 'a DiscoveryInfo with an empty name: the task name, host-port SRVs with and without .slave, no DiscoveryInfo SRVs',
      snapshot: snapshot({
        agents: [on],
        frameworks: [framework('fw', [], [task(on, { ports: [31000], discovery: { name: '', ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } })])],
      }),
      want: [
        ...SLAVE,
        ...TASK_ON_SLAVE,
        'web.fw.mesos. A 10.0.0.1',
        `web-${H}-s0.fw.mesos. A 10.0.0.1`,
        ...['_web._tcp.fw.slave.mesos.', '_web._udp.fw.slave.mesos.', '_web._tcp.fw.mesos.', '_web._udp.fw.mesos.'].map(
          (n) => `${n} SRV web-${H}-s0.fw.slave.mesos.:31000`,
        ),
      ],
    },
    {
      name: 'a DiscoveryInfo port without a name: only the _task._proto name, no _._task one',
      snapshot: snapshot({
        agents: [on],
        frameworks: [framework('fw', [], [task(on, { netinfo: ['10.9.0.1'], discovery: { name: 'web', ports: [{ number: 80, protocol: 'tcp' }] } })])],
      }),
      want: [
        ...SLAVE,
        ...TASK_ON_SLAVE,
        'web.fw.mesos. A 10.9.0.1',
        `web-${H}-s0.fw.mesos. A 10.9.0.1`,
        `_web._tcp.fw.mesos. SRV web-${H}-s0.fw.mesos.:80`,
      ],
    },
    {
      name: 'port numbers at the ends of the range: 0 and 65535 published (host and DiscoveryInfo ports), 65536 and -1 not',
      snapshot: snapshot({
        agents: [on],
        frameworks: [
          framework('fw', [], [
            task(on, {
              netinfo: ['10.9.0.1'],
              ports: [0, 65535, 65536, -1],
              discovery: { name: 'web', ports: [{ number: 65535, protocol: 'tcp' }, { number: 65536, protocol: 'tcp' }, { number: -1, protocol: 'tcp' }] },
            }),
          ]),
        ],
      }),
      want: [
        ...SLAVE,
        ...TASK_ON_SLAVE,
        'web.fw.mesos. A 10.9.0.1',
        `web-${H}-s0.fw.mesos. A 10.9.0.1`,
        `_web._tcp.fw.mesos. SRV web-${H}-s0.fw.mesos.:65535`,
        ...[0, 65535].flatMap((port) => ['_web._tcp.fw.slave.mesos.', '_web._udp.fw.slave.mesos.'].map((n) => `${n} SRV web-${H}-s0.fw.slave.mesos.:${port}`)),
      ],
    },
    {
      name: 'a framework whose pid host did not resolve: no name, no _framework._tcp',
      snapshot: snapshot({ frameworks: [framework('fw', [], [], pid('scheduler.example', 8080, []))] }),
      want: [],
    },
    {
      name: 'a framework name without a usable character, with an address and a pid: no name',
      snapshot: snapshot({ frameworks: [framework('$$$', ['10.0.0.7'], [], pid('10.0.0.7', 8080))] }),
      want: [],
    },
    {
      name: 'a leader whose host did not resolve: no leader or master names',
      snapshot: snapshot({ leader: master('master.example', 5050, []) }),
      want: [],
    },
    {
      name: 'the leader in the middle of the configured masters keeps its place; listed twice, it is numbered once',
      snapshot: snapshot({ leader: master('10.0.0.1') }),
      options: { masters: ['10.0.0.2:5050', '10.0.0.1:5050', '10.0.0.1:5050', '10.0.0.3:5050'] },
      want: [
        ...leaderNames('10.0.0.1'),
        'master.mesos. A 10.0.0.2',
        'master.mesos. A 10.0.0.3',
        'master0.mesos. A 10.0.0.2',
        'master1.mesos. A 10.0.0.1',
        'master2.mesos. A 10.0.0.3',
      ],
    },
    {
      name: "a master listed twice, or on the leader's address with another port: numbered once",
      snapshot: snapshot({ leader: master('10.0.0.1') }),
      options: { masters: ['10.0.0.2:5050', '10.0.0.2:5050', '10.0.0.1:5051'] },
      want: [...leaderNames('10.0.0.1'), 'master.mesos. A 10.0.0.2', 'master0.mesos. A 10.0.0.2', 'master1.mesos. A 10.0.0.1'],
    },
    {
      name: 'IPv6 masters: the leader is told from another by address and port',
      snapshot: snapshot({ leader: master('fd00::1') }),
      options: { masters: ['[fd00::2]:5050', '[fd00::1]:5050'] },
      want: [...leaderNames('fd00::1', 'AAAA'), 'master.mesos. AAAA fd00::2', 'master0.mesos. AAAA fd00::2', 'master1.mesos. AAAA fd00::1'],
    },
    {
      name: 'configured masters: only text that is exactly an address and a port counts',
      snapshot: snapshot({ leader: master('10.0.0.1') }),
      options: { masters: ['x[fd00::5]:5050', '[fd00::6]:5050x', 'a:10.0.0.7:5050', '10.0.0.8:5050x', '[fd00::9]:15050', '10.0.0.10:15050'] },
      want: [
        ...leaderNames('10.0.0.1'),
        'master.mesos. AAAA fd00::9',
        'master.mesos. A 10.0.0.10',
        'master0.mesos. AAAA fd00::9',
        'master1.mesos. A 10.0.0.10',
        'master2.mesos. A 10.0.0.1',
      ],
    },
    {
      name: "the snapshot's masters (none configured): one whose host did not resolve is skipped",
      snapshot: snapshot({ leader: master('10.0.0.1'), masters: [master('master.example', 5050, []), master('10.0.0.3'), master('10.0.0.1')] }),
      want: [...leaderNames('10.0.0.1'), 'master.mesos. A 10.0.0.3', 'master0.mesos. A 10.0.0.3', 'master1.mesos. A 10.0.0.1'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(contents(buildRecordSet(c.snapshot, { ...OPTIONS, ...c.options }))).toEqual([...c.want].sort()));
});

/** The names the leader always gets: leader., master. and the _leader SRVs. */
function leaderNames(ip: string, type: 'A' | 'AAAA' = 'A'): string[] {
  return [
    `leader.mesos. ${type} ${ip}`,
    `master.mesos. ${type} ${ip}`,
    '_leader._tcp.mesos. SRV leader.mesos.:5050',
    '_leader._udp.mesos. SRV leader.mesos.:5050',
  ];
}
