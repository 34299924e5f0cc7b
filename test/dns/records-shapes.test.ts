// Records for the state shapes of test/support/cluster-states.ts, each expectation worked out by hand
// from Mesos-DNS's rules (test/fixtures/README.md): production defaults (RFC1123, IP sources netinfo,
// mesos, host). Hashes (z-base-32 of SHA-1 of the task id, computed independently): web.8e1f4a62…
// g89az, quill.0f1e2d3c… mxacy, quill.1a2b3c4d… g8kfd, sleeper.4d6f8a0c… d1f6n.
import { describe, expect, it } from 'vitest';
import { parseMasterState } from '../../cluster/index.js';
import { buildRecordSet, type RecordOptions } from '../../dns/records/from-snapshot.js';
import type { RecordSet } from '../../dns/records/record-set.js';
import { crowdedState, discoveryVipState, dockerBridgeState, emptyState, healthCheckVipState, overlayState } from '../support/cluster-states.js';
import { testResolver } from '../support/fixtures.js';

const DEFAULTS: RecordOptions = { domain: 'mesos', ipSources: ['netinfo', 'mesos', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: [] };

async function records(doc: Record<string, unknown>, options: Partial<RecordOptions> = {}): Promise<RecordSet> {
  const snapshot = await parseMasterState(doc, { source: { kind: 'file', origin: 'generated' }, fetchedAt: 0, resolveHost: testResolver });
  return buildRecordSet(snapshot, { ...DEFAULTS, ...options });
}
const a = (set: RecordSet, name: string) => [...(set.a.get(name) ?? [])].sort();
const srv = (set: RecordSet, name: string) => (set.srv.get(name) ?? []).map((v) => `${v.target}:${v.port}`).sort();

type Case = { name: string; check: (set: RecordSet) => void };
const table = (title: string, state: () => Record<string, unknown>, cases: Case[], options: Partial<RecordOptions> = {}) =>
  describe(title, () => {
    for (const c of cases) it(c.name, async () => c.check(await records(state(), options)));
  });

table('a Docker bridge task', dockerBridgeState, [
  {
    name: 'the task name answers the container IP (netinfo comes first: the bridge caveat)',
    check: (s) => expect(a(s, 'web.marathon.mesos.')).toEqual(['172.17.0.5']),
  },
  { name: 'the .slave name answers the agent', check: (s) => expect(a(s, 'web.marathon.slave.mesos.')).toEqual(['10.40.1.4']) },
  {
    name: 'the host port is published with and without .slave (no DiscoveryInfo)',
    check: (s) => {
      expect(srv(s, '_web._tcp.marathon.mesos.')).toEqual(['web-g89az-s0.marathon.slave.mesos.:28080']);
      expect(srv(s, '_web._udp.marathon.slave.mesos.')).toEqual(['web-g89az-s0.marathon.slave.mesos.:28080']);
    },
  },
  {
    name: 'a scheduler pid with a uuid id: A and _framework SRV',
    check: (s) => {
      expect(a(s, 'marathon.mesos.')).toEqual(['10.40.0.2']);
      expect(srv(s, '_framework._tcp.marathon.mesos.')).toEqual(['marathon.mesos.:41314']);
    },
  },
]);

table('a Docker bridge task, IPSources [host, netinfo] (the documented workaround)', dockerBridgeState, [
  { name: 'the task name answers the agent', check: (s) => expect(a(s, 'web.marathon.mesos.')).toEqual(['10.40.1.4']) },
], { ipSources: ['host', 'netinfo'] });

table('overlay tasks of two schedulers with the same name and no pid', overlayState, [
  {
    name: 'both tasks live under the one sanitised framework label',
    check: (s) => {
      expect(a(s, 'owl.mesos-executeinstance.mesos.')).toEqual(['9.0.1.130']);
      expect(a(s, 'fox.mesos-executeinstance.mesos.')).toEqual(['9.0.0.130']);
    },
  },
  {
    name: 'host names that do not resolve give the schedulers no A record',
    check: (s) => expect(s.a.has('mesos-executeinstance.mesos.')).toBe(false),
  },
  {
    name: 'no ports, no task SRV',
    check: (s) => expect([...s.srv.keys()].filter((n) => n.includes('owl') || n.includes('fox'))).toEqual([]),
  },
  {
    name: 'enumerate lists the three registrations in order',
    check: (s) =>
      expect(s.enumerate().map((f) => [f.name, f.tasks.length])).toEqual([
        ['mesos-execute instance', 1],
        ['mesos-execute instance', 1],
        ['marathon', 0],
      ]),
  },
]);

table('DiscoveryInfo port with a VIP label; marathon registered twice', discoveryVipState, [
  { name: 'the task IP from netinfo', check: (s) => expect(a(s, 'sleeper.marathon.mesos.')).toEqual(['10.42.0.11']) },
  { name: 'the DiscoveryInfo port, plain and by name, at the task name', check: (s) => {
    expect(srv(s, '_sleeper._tcp.marathon.mesos.')).toEqual(['sleeper-d1f6n-s1.marathon.mesos.:19426']);
    expect(srv(s, '_myport._sleeper._tcp.marathon.mesos.')).toEqual(['sleeper-d1f6n-s1.marathon.mesos.:19426']);
  } },
  { name: 'the port is tcp: no udp SRV outside .slave', check: (s) => expect(s.srv.has('_sleeper._udp.marathon.mesos.')).toBe(false) },
  { name: 'the host port under .slave, tcp and udp', check: (s) => {
    expect(srv(s, '_sleeper._tcp.marathon.slave.mesos.')).toEqual(['sleeper-d1f6n-s1.marathon.slave.mesos.:19426']);
    expect(srv(s, '_sleeper._udp.marathon.slave.mesos.')).toEqual(['sleeper-d1f6n-s1.marathon.slave.mesos.:19426']);
  } },
  { name: 'the two registrations merge: one A, one _framework SRV per port', check: (s) => {
    expect(a(s, 'marathon.mesos.')).toEqual(['10.42.0.2']);
    expect(srv(s, '_framework._tcp.marathon.mesos.')).toEqual(['marathon.mesos.:43078', 'marathon.mesos.:55803']);
  } },
]);

table('health-checked instances (Mesos 0.25 single ip_address), all published', healthCheckVipState, [
  {
    name: 'two instances of quill, healthy or not',
    check: (s) => expect(a(s, 'quill.marathon.mesos.')).toEqual(['10.43.5.1', '10.43.5.2']),
  },
  { name: 'ink although unhealthy (Mesos-DNS ignores health)', check: (s) => expect(a(s, 'ink.marathon.mesos.')).toEqual(['10.43.5.3']) },
  {
    name: 'one SRV target per instance',
    check: (s) =>
      expect(srv(s, '_quill._tcp.marathon.mesos.')).toEqual([
        'quill-g8kfd-s2.marathon.slave.mesos.:31234',
        'quill-mxacy-s2.marathon.slave.mesos.:31234',
      ]),
  },
]);

table('health-checked instances with healthyOnly', healthCheckVipState, [
  { name: 'quill keeps only its healthy instance', check: (s) => {
    expect(a(s, 'quill.marathon.mesos.')).toEqual(['10.43.5.1']);
    expect(srv(s, '_quill._tcp.marathon.mesos.')).toEqual(['quill-mxacy-s2.marathon.slave.mesos.:31234']);
  } },
  { name: 'ink (unhealthy) is gone', check: (s) => expect(s.a.has('ink.marathon.mesos.')).toBe(false) },
  { name: 'paper (no health reported) stays', check: (s) => expect(a(s, 'paper.marathon.mesos.')).toEqual(['10.43.5.4']) },
], { healthyOnly: true });

table('a crowded state', crowdedState, [
  {
    name: 'a hundred instances: a hundred addresses on one name',
    check: (s) => {
      const ips = a(s, 'echo.marathon.mesos.');
      expect(ips).toHaveLength(100);
      expect(ips).toContain('10.45.1.1');
      expect(ips).toContain('10.45.1.100');
    },
  },
  {
    name: 'a hundred host-port SRVs, none from the thousand completed tasks',
    check: (s) => {
      const values = srv(s, '_echo._tcp.marathon.mesos.');
      expect(values).toHaveLength(100);
      expect(values.every((v) => /^echo-[a-z0-9]{5}-s76044\.marathon\.slave\.mesos\.:25\d\d\d$/.test(v))).toBe(true);
    },
  },
  {
    name: 'empty container addresses and an agent known only by an unresolvable name: no A for the task',
    check: (s) => expect(s.a.has('pinger.marathon.mesos.')).toBe(false),
  },
  {
    name: 'slave.mesos. holds the agents with addresses',
    check: (s) => expect(a(s, 'slave.mesos.')).toEqual(['10.45.0.228', '10.45.0.51']),
  },
  {
    name: 'a framework without tasks still has its A and SRV',
    check: (s) => {
      expect(a(s, 'marathon-user.mesos.')).toEqual(['10.45.0.51']);
      expect(srv(s, '_framework._tcp.marathon-user.mesos.')).toEqual(['marathon-user.mesos.:58781']);
    },
  },
]);

table('an empty cluster', emptyState, [
  { name: 'the leader and master0 only', check: (s) => {
    expect(a(s, 'leader.mesos.')).toEqual(['127.0.0.1']);
    expect(a(s, 'master0.mesos.')).toEqual(['127.0.0.1']);
    expect(s.a.has('slave.mesos.')).toBe(false);
    expect(s.enumerate()).toEqual([]);
  } },
]);
