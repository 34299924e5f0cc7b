// `/slave/<id>/` is `/agent/<id>/` (Admin Router served both), and `/net/v1/nodes` is dcos-net's node
// list built from the snapshot: one entry per node IP, masters and agents alike.
import { describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot } from '../../cluster/index.js';
import { builtinRoute, earlyRedirect, normalizePath, type RouteDecision } from '../../gateway/index.js';
import { netNodes } from '../../gateway/net-nodes.js';

async function snapshot(slaves: Record<string, unknown>[], leader = 'master@10.0.0.1:5050'): Promise<Snapshot> {
  const doc = { leader, slaves, frameworks: [] };
  const data = await parseMasterState(doc, {
    source: { kind: 'mesos', origin: 'agent routes' },
    fetchedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    resolveHost: async () => [],
  });
  return { ...data, generation: 1 };
}

function route(s: Snapshot, rawPath: string): RouteDecision | null {
  const normalized = normalizePath(rawPath);
  if ('error' in normalized) return { kind: 'error', status: 400, title: 'Bad Request', description: normalized.error, code: 'ERR_GATEWAY_BAD_PATH' };
  return earlyRedirect(normalized.path) ?? builtinRoute(normalized.path, { snapshot: s, usable: true, dnsHttp: null, marathon: null });
}

describe('/slave/<id>/ routes like /agent/<id>/', () => {
  const cases: { name: string; path: string; want: Partial<RouteDecision> & Record<string, unknown> }[] = [
    { name: 'an agent endpoint', path: '/slave/S0/files/debug', want: { kind: 'proxy', route: 'agent', upstreamPath: '/files/debug' } },
    { name: 'the agent root without a slash', path: '/slave/S0', want: { kind: 'proxy', route: 'agent', upstreamPath: '/' } },
    { name: 'libprocess\'s own prefix passes through', path: '/slave/S0/slave(1)/state', want: { kind: 'proxy', upstreamPath: '/slave(1)/state' } },
    { name: 'an unknown agent', path: '/slave/S9/state', want: { kind: 'error', status: 404, code: 'ERR_GATEWAY_AGENT_UNKNOWN' } },
    { name: '/slave alone redirects to /slave/', path: '/slave', want: { kind: 'redirect', status: 301, location: '/slave/' } },
    { name: 'the index of agents', path: '/slave/', want: { kind: 'index' } },
    { name: 'dot-dot cannot climb from an agent route into another', path: '/slave/S0/../../mesos/master/state', want: { kind: 'proxy', route: 'mesos' } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = await snapshot([{ id: 'S0', pid: 'slave(1)@10.0.0.2:5051', hostname: 'a1' }]);
      const decision = route(s, c.path);
      expect(decision).toMatchObject(c.want);
      if (decision?.kind === 'proxy' && decision.route === 'agent') expect(decision.upstreams.map((u) => u.href)).toEqual(['http://10.0.0.2:5051/']);
      if (c.path.startsWith('/slave/S0')) expect(decision).toEqual(route(s, c.path.replace('/slave/', '/agent/')));
    });
  }
});

describe('/net/v1/nodes', () => {
  it('masters and agents, one entry per IP, with the time of the snapshot in RFC 3339 milliseconds', async () => {
    const s = await snapshot([
      { id: 'S0', pid: 'slave(1)@10.0.0.2:5051', hostname: 'a1' },
      { id: 'S1', pid: 'slave(1)@10.0.0.3:5051', hostname: 'a2', attributes: { public_ip: '203.0.113.7' } },
      { id: 'S2', pid: 'slave(1)@10.0.0.1:5051', hostname: 'same-as-master' },
    ]);
    expect(netNodes(s)).toEqual([
      { private_ip: '10.0.0.1', public_ips: [], hostname: '10.0.0.1', updated: '2026-01-02T03:04:05.678Z' },
      { private_ip: '10.0.0.2', public_ips: [], hostname: 'a1', updated: '2026-01-02T03:04:05.678Z' },
      { private_ip: '10.0.0.3', public_ips: ['203.0.113.7'], hostname: 'a2', updated: '2026-01-02T03:04:05.678Z' },
    ]);
  });

  it('no snapshot yet: an empty list', () => {
    expect(netNodes(null)).toEqual([]);
  });
});
