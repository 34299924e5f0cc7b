// Record generation on snapshots built in the test: the odd shapes real clusters produce (names
// without a usable character, agents without an address, every DiscoveryInfo port form, host-name
// masters), the order /v1/enumerate shows, and a 10,000-task cluster.
import { describe, expect, it } from 'vitest';
import type { Agent, Framework, Master, SnapshotData, Task } from '../../cluster/index.js';
import { buildRecordSet, type RecordOptions } from '../../dns/records/from-snapshot.js';
import { hashTaskId } from '../../dns/records/labels.js';
import { flatName } from '../../dns/records/record-set-builder.js';
import type { RecordSet } from '../../dns/records/record-set.js';
import { snapshotOf, taskOn, type TaskSpec } from '../support/snapshot-parts.js';

const OPTIONS: RecordOptions = { domain: 'mesos', ipSources: ['netinfo', 'mesos', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: ['127.0.0.1'] };

const address = (ip: string, port: number) => ({ raw: `x@${ip.includes(':') ? `[${ip}]` : ip}:${port}`, host: ip, port, ips: [ip] });
const agent = (id: string, ips: string[]): Agent => ({
  id, hostname: `host-${id}`, pid: ips[0] ? address(ips[0], 5051) : null, ips, active: true, resources: {}, attributes: {},
});
const task = (t: TaskSpec & { id: string; name: string }): Task => taskOn(t);
const framework = (name: string, ips: string[], tasks: Task[], port: number | null = 25501): Framework => ({
  id: `fw-${name}`, name, pid: port !== null && ips[0] ? address(ips[0], port) : null, hostname: 'scheduler', ips, active: true, webuiUrl: null, tasks,
});
const master = (ip: string, port = 5050): Master => ({ address: address(ip, port) });
const snapshot = snapshotOf;

const srvOf = (records: RecordSet, name: string) => (records.names.get(name)?.srv ?? []).map((v) => `${v.target}:${v.port}`).sort();
const enumerated = (records: RecordSet, frameworkName: string, taskName: string) =>
  records.enumerate().find((f) => f.name === frameworkName)?.tasks.find((t) => t.name === taskName);

const s0 = agent('a1-S0', ['10.0.0.1']);

describe('odd shapes never crash and give what Mesos-DNS gives (or less, where it gives garbage)', () => {
  const cases: { name: string; snapshot: SnapshotData; options?: Partial<RecordOptions>; check: (r: RecordSet) => void }[] = [
    {
      name: 'framework name without a usable character: no task names, the task still enumerated',
      snapshot: snapshot({ agents: [s0], frameworks: [framework('$$$', [], [task({ id: 't1', name: 'web', on: s0, ports: [31000] })])] }),
      check: (r) => {
        expect([...r.names.keys()].filter((n) => n.includes('web'))).toEqual([]);
        expect(enumerated(r, '$$$', 'web')).toEqual({ name: 'web', id: 't1', records: null });
      },
    },
    {
      name: 'task name without a usable character: no task names',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [framework('fw', ['10.0.0.50'], [task({ id: 't1', name: '%%%', on: s0, ports: [31000] })])],
      }),
      check: (r) => {
        expect([...r.names.keys()].sort()).toEqual([
          '_framework._tcp.fw.mesos.',
          '_slave._tcp.mesos.',
          'fw.mesos.',
          'ns1.mesos.',
          'slave.mesos.',
        ]);
        expect(enumerated(r, 'fw', '%%%')?.records).toBeNull();
      },
    },
    {
      name: 'agent whose address did not resolve: task names from the container IP, no .slave names, no slave.mesos',
      snapshot: snapshot({
        agents: [agent('a2-S1', [])],
        frameworks: [framework('fw', [], [task({ id: 't1', name: 'web', on: agent('a2-S1', []), netinfo: ['10.9.0.1'], ports: [31000] })])],
      }),
      check: (r) => {
        expect(r.names.get('web.fw.mesos.')?.a).toEqual(['10.9.0.1']);
        // Host-port SRVs stay (as in Mesos-DNS); their target just has no address.
        expect([...r.names.keys()].filter((n) => n.includes('slave')).sort()).toEqual([
          '_web._tcp.fw.slave.mesos.',
          '_web._udp.fw.slave.mesos.',
        ]);
        expect(r.names.has('slave.mesos.')).toBe(false);
        expect(r.names.has('_slave._tcp.mesos.')).toBe(false);
      },
    },
    {
      name: 'raw DiscoveryInfo name keeps its case and dots (legacy), the sanitised one beside it',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework('marathon', [], [task({ id: 't1', name: 'ignored', on: s0, netinfo: ['10.9.0.1'], discovery: { name: 'My.App' } })]),
        ],
      }),
      check: (r) => {
        const h = hashTaskId('t1');
        expect([...r.names.keys()].filter((n) => n.includes('marathon')).sort()).toEqual(
          [
            `My.App-${h}-s0.marathon.mesos.`,
            `My.App-${h}-s0.marathon.slave.mesos.`,
            'My.App.marathon.mesos.',
            'My.App.marathon.slave.mesos.',
            `my-app-${h}-s0.marathon.mesos.`,
            `my-app-${h}-s0.marathon.slave.mesos.`,
            'my-app.marathon.mesos.',
            'my-app.marathon.slave.mesos.',
          ].sort(),
        );
      },
    },
    {
      name: 'DiscoveryInfo ports: protocol case, empty protocol (tcp and udp), named ports, port 0, odd characters',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework(
            'fw',
            [],
            [
              task({
                id: 't1',
                name: 'web',
                on: s0,
                netinfo: ['10.9.0.1'],
                ports: [31000],
                discovery: {
                  name: 'web',
                  ports: [
                    { number: 80, protocol: 'TCP', name: 'http' },
                    { number: 53, protocol: 'udp', name: 'dns' },
                    { number: 9000, protocol: '', name: 'admin' },
                    { number: 0, protocol: 'tcp' },
                    { number: 5000, protocol: 'sc tp!', name: 'Web UI' },
                  ],
                },
              }),
            ],
          ),
        ],
      }),
      check: (r) => {
        const t = `web-${hashTaskId('t1')}-s0.fw.mesos.`;
        expect(srvOf(r, '_web._tcp.fw.mesos.')).toEqual([`${t}:0`, `${t}:80`, `${t}:9000`]);
        expect(srvOf(r, '_web._udp.fw.mesos.')).toEqual([`${t}:53`, `${t}:9000`]);
        expect(srvOf(r, '_http._web._tcp.fw.mesos.')).toEqual([`${t}:80`]);
        expect(srvOf(r, '_dns._web._udp.fw.mesos.')).toEqual([`${t}:53`]);
        expect(srvOf(r, '_admin._web._tcp.fw.mesos.')).toEqual([`${t}:9000`]);
        expect(srvOf(r, '_admin._web._udp.fw.mesos.')).toEqual([`${t}:9000`]);
        expect(srvOf(r, '_webui._web._sctp.fw.mesos.')).toEqual([`${t}:5000`]);
        // Host ports of a DiscoveryInfo task live only under .slave.
        expect(srvOf(r, '_web._tcp.fw.slave.mesos.')).toEqual([`web-${hashTaskId('t1')}-s0.fw.slave.mesos.:31000`]);
        expect(srvOf(r, '_web._tcp.fw.mesos.').some((v) => v.endsWith(':31000'))).toBe(false);
      },
    },
    {
      name: 'port numbers no SRV can carry are left out, the others kept',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework(
            'fw',
            [],
            [
              task({
                id: 't1',
                name: 'web',
                on: s0,
                netinfo: ['10.9.0.1'],
                ports: [-1, 70000, 31000],
                discovery: {
                  name: 'web',
                  ports: [
                    { number: -1, protocol: 'tcp' },
                    { number: 1.5, protocol: 'tcp' },
                    { number: 65536, protocol: 'tcp' },
                    { number: 80, protocol: 'tcp' },
                  ],
                },
              }),
            ],
          ),
        ],
      }),
      check: (r) => {
        expect(srvOf(r, '_web._tcp.fw.mesos.')).toEqual([`web-${hashTaskId('t1')}-s0.fw.mesos.:80`]);
        expect(srvOf(r, '_web._tcp.fw.slave.mesos.')).toEqual([`web-${hashTaskId('t1')}-s0.fw.slave.mesos.:31000`]);
      },
    },
    {
      name: 'tasks not running or on an unknown agent: no records, not enumerated',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework(
            'fw',
            [],
            [
              task({ id: 't1', name: 'staging', on: s0, state: 'TASK_STAGING' }),
              task({ id: 't2', name: 'killing', on: s0, state: 'TASK_KILLING' }),
              task({ id: 't3', name: 'lost', on: agent('gone-S9', ['10.0.0.9']) }),
            ],
          ),
        ],
      }),
      check: (r) => {
        expect([...r.names.keys()].filter((n) => /staging|killing|lost/.test(n))).toEqual([]);
        expect(r.enumerate()[0]!.tasks).toEqual([]);
      },
    },
    {
      name: 'instances of one app merge under one name, every value once',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework(
            'fw',
            [],
            [
              task({ id: 't1', name: 'web', on: s0, netinfo: ['10.9.0.1'], ports: [31000] }),
              task({ id: 't2', name: 'web', on: s0, netinfo: ['10.9.0.2'], ports: [31001] }),
              task({ id: 't2', name: 'web', on: s0, netinfo: ['10.9.0.2'], ports: [31001] }),
            ],
          ),
        ],
      }),
      check: (r) => {
        expect(r.names.get('web.fw.mesos.')?.a).toEqual(['10.9.0.1', '10.9.0.2']);
        expect(r.names.get('web.fw.slave.mesos.')?.a).toEqual(['10.0.0.1']);
        expect(srvOf(r, '_web._tcp.fw.mesos.')).toHaveLength(2);
        // 2 A + 2 .slave A + 4 SRV; the second instance shares the agent's .slave plain name; the duplicate adds nothing.
        expect(r.enumerate()[0]!.tasks.map((t) => t.records?.length ?? 0)).toEqual([8, 7, 0]);
      },
    },
    {
      name: 'framework without pid: A record only; framework without any IP: nothing',
      snapshot: snapshot({ frameworks: [framework('nopid', ['10.0.0.7'], [], null), framework('noip', [], [])] }),
      check: (r) => {
        expect(r.names.get('nopid.mesos.')?.a).toEqual(['10.0.0.7']);
        expect(r.names.has('_framework._tcp.nopid.mesos.')).toBe(false);
        expect([...r.names.keys()].filter((n) => n.includes('noip'))).toEqual([]);
      },
    },
    {
      name: 'configured masters: host names and garbage skipped, IPv6 in canonical form',
      snapshot: snapshot({ leader: master('10.0.0.1') }),
      options: { masters: ['master.example:5050', 'x', '', '10.0.0.2:5050', '[2001:0db8:0::2]:5050'] },
      check: (r) => {
        expect(r.names.get('master.mesos.')).toMatchObject({ a: ['10.0.0.1', '10.0.0.2'], aaaa: ['2001:db8::2'] });
        expect(r.names.get('master0.mesos.')?.a).toEqual(['10.0.0.2']);
        expect(r.names.get('master1.mesos.')?.aaaa).toEqual(['2001:db8::2']);
        expect(r.names.get('master2.mesos.')?.a).toEqual(['10.0.0.1']);
        expect(r.names.has('master3.mesos.')).toBe(false);
      },
    },
    {
      name: "no configured masters: the snapshot's masters, in order",
      snapshot: snapshot({ leader: master('10.0.0.1'), masters: [master('10.0.0.3'), master('10.0.0.1')] }),
      check: (r) => {
        expect(r.names.get('master0.mesos.')?.a).toEqual(['10.0.0.3']);
        expect(r.names.get('master1.mesos.')?.a).toEqual(['10.0.0.1']);
        expect(srvOf(r, '_leader._udp.mesos.')).toEqual(['leader.mesos.:5050']);
      },
    },
    {
      name: 'name server: IPv6 listener gives AAAA, SOAMname case and trailing dot normalised',
      snapshot: snapshot({}),
      options: { soaMname: 'NS1.Example', nsIps: ['::1', '127.0.0.1'] },
      check: (r) => {
        expect([...r.names.keys()]).toEqual(['ns1.example.']);
        expect(r.names.get('ns1.example.')).toMatchObject({ a: ['127.0.0.1'], aaaa: ['::1'], srv: [] });
      },
    },
    {
      name: 'empty snapshot: only the name server',
      snapshot: snapshot({}),
      check: (r) => {
        expect([...r.names.keys()]).toEqual(['ns1.mesos.']);
        expect(r.enumerate()).toEqual([]);
      },
    },
    {
      name: 'a record a framework inserted first is not listed under the task (/v1/enumerate)',
      snapshot: snapshot({
        agents: [agent('a5-S5', ['10.0.0.5'])],
        frameworks: [
          framework('web.marathon', ['10.0.0.5'], []),
          framework('marathon', [], [task({ id: 't1', name: 'web', on: agent('a5-S5', ['10.0.0.5']) })]),
        ],
      }),
      check: (r) => {
        const records = enumerated(r, 'marathon', 'web')?.records ?? [];
        expect(r.names.get('web.marathon.mesos.')?.a).toEqual(['10.0.0.5']);
        expect(records.map((x) => x.name)).not.toContain('web.marathon.mesos.');
        expect(records.map((x) => x.name)).toContain(`web-${hashTaskId('t1')}-s5.marathon.mesos.`);
      },
    },
    {
      // The cut leaves `a-very-long-application-`; the trailing dash goes and the room is refilled from `name-…`.
      name: 'RFC952: long names cut to 24 characters merge, canonical names stay apart',
      snapshot: snapshot({
        agents: [s0],
        frameworks: [
          framework(
            'fw',
            [],
            [
              task({ id: 't1', name: 'a-very-long-application-name-one', on: s0, netinfo: ['10.9.0.1'] }),
              task({ id: 't2', name: 'a-very-long-application-name-two', on: s0, netinfo: ['10.9.0.2'] }),
            ],
          ),
        ],
      }),
      options: { enforceRFC952: true },
      check: (r) => {
        expect(r.names.get('a-very-long-applicationn.fw.mesos.')?.a).toEqual(['10.9.0.1', '10.9.0.2']);
        expect(r.names.get(`a-very-long-applicationn-${hashTaskId('t2')}-s0.fw.mesos.`)?.a).toEqual(['10.9.0.2']);
      },
    },
    {
      name: 'multi-label domain',
      snapshot: snapshot({ agents: [s0], frameworks: [framework('fw', [], [task({ id: 't1', name: 'web', on: s0 })])] }),
      options: { domain: 'dc1.example' },
      check: (r) => expect(r.names.get('web.fw.slave.dc1.example.')?.a).toEqual(['10.0.0.1']),
    },
  ];
  for (const c of cases) it(c.name, () => c.check(buildRecordSet(c.snapshot, { ...OPTIONS, ...c.options })));
});

describe('generation order (what /v1/enumerate shows)', () => {
  it('per IP the plain then the canonical name; per host port tcp.slave, udp.slave, tcp, udp', () => {
    const r = buildRecordSet(
      snapshot({
        agents: [s0],
        frameworks: [
          framework('fw', [], [task({ id: 't1', name: 'web', on: s0, netinfo: ['10.9.0.1', 'fd00::9'], ports: [31000, 31001] })]),
        ],
      }),
      OPTIONS,
    );
    const c = `web-${hashTaskId('t1')}-s0`;
    expect(enumerated(r, 'fw', 'web')?.records?.map((x) => `${x.rtype} ${x.name} ${x.host}`)).toEqual([
      'A web.fw.mesos. 10.9.0.1',
      `A ${c}.fw.mesos. 10.9.0.1`,
      'AAAA web.fw.mesos. fd00::9',
      `AAAA ${c}.fw.mesos. fd00::9`,
      'A web.fw.slave.mesos. 10.0.0.1',
      `A ${c}.fw.slave.mesos. 10.0.0.1`,
      ...[31000, 31001].flatMap((port) =>
        ['_web._tcp.fw.slave.mesos.', '_web._udp.fw.slave.mesos.', '_web._tcp.fw.mesos.', '_web._udp.fw.mesos.'].map(
          (n) => `SRV ${n} ${c}.fw.slave.mesos.:${port}`,
        ),
      ),
    ]);
  });

  it('DiscoveryInfo without protocol: tcp, udp, then the named port for tcp, udp', () => {
    const r = buildRecordSet(
      snapshot({
        agents: [s0],
        frameworks: [
          framework('fw', [], [task({ id: 't1', name: 'x', on: s0, discovery: { name: 'web', ports: [{ number: 80, name: 'http' }] } })]),
        ],
      }),
      OPTIONS,
    );
    const srvs = enumerated(r, 'fw', 'x')?.records?.filter((x) => x.rtype === 'SRV').map((x) => x.name);
    expect(srvs).toEqual(['_web._tcp.fw.mesos.', '_web._udp.fw.mesos.', '_http._web._tcp.fw.mesos.', '_http._web._udp.fw.mesos.']);
  });
});

describe('flatName (names kept as flat strings)', () => {
  const cases: { name: string; input: string }[] = [
    { name: 'a name made of parts is the same text', input: ['app-1', 'grp'].join('-') + '-abcde-s0.marathon.mesos.' },
    { name: 'a name that is not NFC (a legacy raw name) stays exactly as it is', input: 'cafe\u0301.marathon.mesos.' },
    { name: 'an empty name', input: '' },
  ];
  for (const c of cases) it(c.name, () => expect(flatName(c.input)).toBe(c.input));
});

describe('a 10,000-task cluster', () => {
  const AGENTS = 100;
  const APPS = 500;
  const INSTANCES = 20;
  const agents = Array.from({ length: AGENTS }, (_, i) => agent(`20240101-000000-1-5050-1-S${i}`, [`10.1.${i >> 8}.${i & 255}`]));
  const tasks: Task[] = [];
  for (let app = 0; app < APPS; app++) {
    for (let n = 0; n < INSTANCES; n++) {
      const i = app * INSTANCES + n;
      tasks.push(task({
        id: `app-${app}.${i.toString(16).padStart(8, '0')}-1111-11e4-a088-c20493233aa5`,
        name: `app-${app}.grp`,
        on: agents[i % AGENTS]!,
        netinfo: [`10.200.${i >> 8}.${i & 255}`],
        ports: [31000 + n, 32000 + n],
        ...(app % 2 === 0 ? { discovery: { name: `app-${app}.grp`, ports: [{ number: 8080, protocol: 'tcp', name: 'http' }] } } : {}),
      }));
    }
  }
  const big = snapshot({ agents, frameworks: [framework('marathon', ['10.0.0.2'], tasks)], leader: master('10.0.0.1') });
  // The cases read one build (a build of 10,000 tasks takes a good part of a second here); the last
  // compares it with a second one.
  let built: RecordSet | null = null;
  const once = (): RecordSet => (built ??= buildRecordSet(big, OPTIONS));

  it('builds every task, merges instances, keeps every value once', () => {
    const r = once();
    expect(r.enumerate()[0]!.tasks).toHaveLength(APPS * INSTANCES);
    expect(r.names.get('slave.mesos.')?.a).toHaveLength(AGENTS);
    // Odd apps have no DiscoveryInfo: their name is the sanitised task name.
    expect(r.names.get('app-1-grp.marathon.mesos.')?.a).toHaveLength(INSTANCES);
    expect(r.names.get('app-1-grp.marathon.slave.mesos.')?.a).toHaveLength(INSTANCES);
    expect(r.names.get('_app-1-grp._tcp.marathon.mesos.')?.srv).toHaveLength(INSTANCES * 2);
    // Even apps: raw DiscoveryInfo name too, and DiscoveryInfo SRVs to the task IPs.
    expect(r.names.get('app-0.grp.marathon.mesos.')?.a).toHaveLength(INSTANCES);
    expect(r.names.get('_http._app-0-grp._tcp.marathon.mesos.')?.srv).toHaveLength(INSTANCES);
    for (const t of tasks) {
      const label = t.discovery ? t.discovery.name.replace('.', '-') : t.name.replace('.', '-');
      const canonical = `${label}-${hashTaskId(t.id)}-${t.agentId.split('-').pop()!.toLowerCase()}.marathon.mesos.`;
      expect(r.names.get(canonical)?.a, canonical).toEqual(t.ips.netinfo);
    }
  });

  it('each name holds its three lists and nothing else (no builder leftovers: name, lookup sets)', () => {
    const r = once();
    const shapes = new Set([...r.names.values()].map((records) => Object.keys(records).join(',')));
    expect([...shapes]).toEqual(['a,aaaa,srv']);
  });

  it('names holding the same one address share one list (each task\'s `.slave.` names hold its agent\'s IP)', () => {
    const r = once();
    const onSlave = (t: Task) => {
      const label = t.discovery ? t.discovery.name.replace('.', '-') : t.name.replace('.', '-');
      return r.names.get(`${label}-${hashTaskId(t.id)}-${t.agentId.split('-').pop()!.toLowerCase()}.marathon.slave.mesos.`)!.a;
    };
    const sameAgent = tasks.filter((t) => t.agentId === tasks[0]!.agentId);
    expect(sameAgent.length).toBeGreaterThan(50);
    expect(onSlave(sameAgent[0]!)).toEqual(agents[0]!.ips);
    for (const t of sameAgent) expect(onSlave(t)).toBe(onSlave(sameAgent[0]!));
  });

  it('a rebuild of the same snapshot gives the same record set', () => {
    const first = once();
    const second = buildRecordSet(big, OPTIONS);
    expect(second).not.toBe(first);
    expect([...second.names]).toEqual([...first.names]);
  });
});
