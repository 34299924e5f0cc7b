// The built-in routes' decisions in full (kind, route, upstreams, upstream path, the error's code and
// text), found unchecked by mutation testing (TESTING.md): the early redirects' exact paths, the DNS
// API route, the unusable snapshot, a service whose URLs are not rewritten, an agent without a pid, a
// leader without an address, Marathon from its framework's web UI, and the shared upstream lists.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot, type SourceKind } from '../../cluster/index.js';
import { builtinRoute, earlyRedirect, type RouteDecision, type RouteInputs } from '../../gateway/builtin-routes.js';
import { masterState, type TaskSpec } from '../support/master-state.js';

const AGENT = 'S0';
const FRAMEWORK = 'fw-marathon';

const serviceTask = (name: string, port: number, labels: Record<string, string> = {}): TaskSpec => ({
  id: `${name}.1`,
  name,
  agent: AGENT,
  ports: `[${port}-${port}]`,
  labels: { DCOS_SERVICE_NAME: name, DCOS_SERVICE_PORT_INDEX: '0', ...labels },
  statuses: [{ state: 'TASK_RUNNING', timestamp: 1_700_000_000 }],
});

interface Variant {
  readonly kind?: SourceKind;
  readonly leader?: string | null;
  readonly webuiUrl?: string;
  /** The scheduler running the services; Marathon is looked up by this name. */
  readonly scheduler?: string;
  /** The first two agents' addresses (the upstream lists are kept per address across tests). */
  readonly agentHosts?: readonly [string, string];
}

/**
 * A cluster of four agents (S2 has no pid, only a host name; S3 is on IPv6), a Marathon running two
 * services, and before it another framework with a web UI.
 */
async function snapshot(variant: Variant = {}): Promise<Snapshot> {
  const [host0, host1] = variant.agentHosts ?? ['10.0.0.2', '10.0.0.3'];
  const doc = masterState({
    leader: variant.leader === undefined ? 'master@10.0.0.1:5050' : variant.leader,
    agents: [
      { id: AGENT, host: host0, port: 5051 },
      { id: 'S1', host: host1, port: 5051 },
      { id: 'S2', host: 'nopid-host', hostname: 'nopid-host', port: 5051 },
      { id: 'S3', host: 'fd00::5', port: 5051 },
    ],
    frameworks: [
      { id: 'fw-other', name: 'other', pid: 'scheduler-1@10.0.0.7:9090', webuiUrl: 'http://10.0.0.7:9090/' },
      {
        id: FRAMEWORK,
        name: variant.scheduler ?? 'marathon',
        pid: 'scheduler-1@10.0.0.1:8080',
        ...(variant.webuiUrl ? { webuiUrl: variant.webuiUrl } : {}),
        tasks: [serviceTask('web', 31001), serviceTask('raw', 31002, { DCOS_SERVICE_REWRITE_REQUEST_URLS: 'false' })],
      },
    ],
  });
  const slaves = (doc as { slaves: Record<string, unknown>[] }).slaves;
  delete slaves[2]!['pid'];
  // A document with neither `leader` nor the master's own `pid`: no leading master known.
  if (variant.leader === null) delete (doc as Record<string, unknown>)['pid'];
  const hosts: Record<string, string[]> = { 'nopid-host': ['10.0.0.4'] };
  const data = await parseMasterState(doc, {
    source: { kind: variant.kind ?? 'mesos', origin: 'builtin-routes test' },
    fetchedAt: 0,
    resolveHost: async (host) => hosts[host] ?? [],
  });
  return { ...data, generation: 1 };
}

/** A decision with its upstream URLs as text, for whole-object comparison. */
function plain(decision: RouteDecision | null): unknown {
  if (decision?.kind !== 'proxy') return decision;
  return { ...decision, upstreams: decision.upstreams.map((u) => u.href) };
}

const error = (status: number, code: string, description: string) => ({
  kind: 'error',
  status,
  title: status === 404 ? 'Not Found' : 'Service Unavailable',
  code,
  description,
});
const proxy = (route: string, upstreams: string[], upstreamPath: string, servicePrefix: string | null = null) => ({
  kind: 'proxy',
  route,
  upstreams,
  upstreamPath,
  servicePrefix,
});

describe('earlyRedirect', () => {
  const cases: { name: string; path: string; want: RouteDecision | null }[] = [
    { name: 'a service without its slash', path: '/service/web', want: { kind: 'redirect', status: 301, location: '/service/web/' } },
    { name: 'a service name with dots, dashes and digits', path: '/service/my.app-2', want: { kind: 'redirect', status: 301, location: '/service/my.app-2/' } },
    { name: 'a one-letter service', path: '/service/w', want: { kind: 'redirect', status: 301, location: '/service/w/' } },
    { name: 'a service with its slash: no redirect', path: '/service/web/', want: null },
    { name: 'a service path below it: no redirect', path: '/service/web/x', want: null },
    { name: '/service/ inside another path: no redirect', path: '/x/service/web', want: null },
    { name: 'a service name with a character outside the set: no redirect', path: '/service/we_b', want: null },
    { name: '/mesos', path: '/mesos', want: { kind: 'redirect', status: 301, location: '/mesos/' } },
    { name: '/marathon is a 307', path: '/marathon', want: { kind: 'redirect', status: 307, location: '/marathon/' } },
    { name: '/agent', path: '/agent', want: { kind: 'redirect', status: 301, location: '/agent/' } },
    { name: '/slave', path: '/slave', want: { kind: 'redirect', status: 301, location: '/slave/' } },
    { name: 'the empty path: no redirect', path: '', want: null },
    { name: '/mesos/ with its slash: no redirect', path: '/mesos/', want: null },
  ];
  for (const c of cases) it(c.name, () => expect(earlyRedirect(c.path)).toEqual(c.want));
});

describe('builtinRoute decisions', () => {
  // Each case gets a snapshot of its own: what is read once per snapshot is read by that case.
  const variants: Record<string, Variant> = {
    mesos: {},
    'marathon ui': { webuiUrl: 'http://10.0.0.9:8080/ui/' },
    'bad marathon ui': { webuiUrl: 'not a url' },
    'no marathon': { scheduler: 'chronos', webuiUrl: 'http://10.0.0.9:8080/' },
    local: { kind: 'local' },
    'no leader': { leader: null },
    'unresolved leader': { leader: 'master@leader-host:5050' },
  };
  const dnsHttp = new URL('http://127.0.0.1:8123');
  const marathon = new URL('http://10.0.0.8:8080');

  const cases: {
    name: string;
    path: string;
    on?: string | null;
    inputs?: Partial<Omit<RouteInputs, 'snapshot'>>;
    want: unknown;
  }[] = [
    { name: 'the DNS API', path: '/mesos_dns/v1/version', inputs: { dnsHttp }, want: proxy('mesos_dns', ['http://127.0.0.1:8123/'], '/v1/version') },
    { name: 'the DNS API root', path: '/mesos_dns/', inputs: { dnsHttp }, want: proxy('mesos_dns', ['http://127.0.0.1:8123/'], '/') },
    {
      name: 'the DNS API when dns.http is off',
      path: '/mesos_dns/v1/version',
      want: error(404, 'ERR_GATEWAY_DNS_API_DISABLED', 'the DNS HTTP API is disabled (dns.http)'),
    },
    {
      name: 'the DNS API needs no snapshot',
      path: '/mesos_dns/v1/version',
      on: null,
      inputs: { dnsHttp },
      want: proxy('mesos_dns', ['http://127.0.0.1:8123/'], '/v1/version'),
    },
    { name: '/mesos_dns without its slash is no built-in route', path: '/mesos_dns', inputs: { dnsHttp }, want: null },
    { name: 'a path of no built-in route', path: '/other/mesos/', want: null },
    { name: 'a path of no built-in route, without a snapshot', path: '/other', on: null, want: null },
    { name: 'no snapshot yet', path: '/mesos/master/state', on: null, want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'no cluster snapshot yet') },
    {
      name: 'a snapshot too old to route by',
      path: '/service/web/',
      inputs: { usable: false },
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'the cluster snapshot is too old to route by (cluster.unusableAfter)'),
    },
    { name: 'a service', path: '/service/web/a/b?c', want: proxy('service:web', ['http://10.0.0.2:31001/'], '/a/b?c', '/service/web') },
    { name: 'a service root reached without its slash', path: '/service/web', want: proxy('service:web', ['http://10.0.0.2:31001/'], '/', '/service/web') },
    {
      name: 'a service that keeps its URLs (DCOS_SERVICE_REWRITE_REQUEST_URLS=false)',
      path: '/service/raw/a',
      want: proxy('service:raw', ['http://10.0.0.2:31002/'], '/service/raw/a', '/service/raw'),
    },
    { name: 'an unknown service', path: '/service/nope/x', want: error(404, 'ERR_GATEWAY_SERVICE_UNKNOWN', 'service not found: nope') },
    { name: 'no service named', path: '/service/', want: error(404, 'ERR_GATEWAY_SERVICE_UNKNOWN', 'service not found: ') },
    { name: 'an agent', path: '/agent/S1/files/debug', want: proxy('agent', ['http://10.0.0.3:5051/'], '/files/debug') },
    { name: 'an agent by its /slave/ path', path: '/slave/S0/state', want: proxy('agent', ['http://10.0.0.2:5051/'], '/state') },
    { name: 'an agent on IPv6', path: '/agent/S3/state', want: proxy('agent', ['http://[fd00::5]:5051/'], '/state') },
    { name: 'an agent without a pid', path: '/agent/S2/state', want: error(404, 'ERR_GATEWAY_AGENT_UNKNOWN', 'agent S2 unknown') },
    { name: 'an unknown agent', path: '/agent/S9/state', want: error(404, 'ERR_GATEWAY_AGENT_UNKNOWN', 'agent S9 unknown') },
    { name: 'the leading master', path: '/mesos/master/state', want: proxy('mesos', ['http://10.0.0.1:5050/'], '/master/state') },
    {
      name: 'the leading master, embedded cluster',
      path: '/mesos/master/state',
      on: 'local',
      want: proxy('mesos', ['http://10.0.0.1:5050/'], '/master/state'),
    },
    {
      name: 'no leading master',
      path: '/mesos/master/state',
      on: 'no leader',
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'the leading master is unknown'),
    },
    {
      name: 'a leading master without an address',
      path: '/mesos/master/state',
      on: 'unresolved leader',
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'the leading master is unknown'),
    },
    { name: 'Marathon from config', path: '/marathon/v2/apps', inputs: { marathon }, want: proxy('marathon', ['http://10.0.0.8:8080/'], '/v2/apps') },
    {
      name: 'Marathon from config before its framework',
      path: '/marathon/v2/apps',
      on: 'marathon ui',
      inputs: { marathon },
      want: proxy('marathon', ['http://10.0.0.8:8080/'], '/v2/apps'),
    },
    {
      name: 'Marathon from its framework\'s web UI (origin only)',
      path: '/marathon/v2/apps',
      on: 'marathon ui',
      want: proxy('marathon', ['http://10.0.0.9:8080/'], '/v2/apps'),
    },
    { name: 'Marathon\'s root', path: '/marathon/', on: 'marathon ui', want: proxy('marathon', ['http://10.0.0.9:8080/'], '/') },
    {
      name: 'Marathon unknown',
      path: '/marathon/v2/apps',
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'Marathon is unknown (no cluster.mesos.marathon and no marathon framework with a web UI)'),
    },
    {
      name: 'no framework named marathon (another one has a web UI)',
      path: '/marathon/v2/apps',
      on: 'no marathon',
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'Marathon is unknown (no cluster.mesos.marathon and no marathon framework with a web UI)'),
    },
    {
      name: 'Marathon\'s web UI not a URL',
      path: '/marathon/v2/apps',
      on: 'bad marathon ui',
      want: error(503, 'ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'Marathon is unknown (no cluster.mesos.marathon and no marathon framework with a web UI)'),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = c.on === null ? null : await snapshot(variants[c.on ?? 'mesos']);
      const inputs: RouteInputs = { snapshot: s, usable: true, dnsHttp: null, marathon: null, ...c.inputs };
      expect(plain(builtinRoute(c.path, inputs))).toEqual(c.want);
    });
  }
});

describe('builtinRoute upstream lists are shared per address', () => {
  const upstreams = (path: string, inputs: RouteInputs) => {
    const decision = builtinRoute(path, inputs);
    if (decision?.kind !== 'proxy') throw new Error(`not a proxy: ${JSON.stringify(decision)}`);
    return decision.upstreams;
  };
  let s: Snapshot;
  let again: Snapshot;
  // Addresses no other case uses: the lists are built here, not found from an earlier test.
  const variant: Variant = { webuiUrl: 'http://10.0.2.9:8080/ui/', leader: 'master@10.0.2.1:5050', agentHosts: ['10.0.2.2', '10.0.2.3'] };
  beforeAll(async () => {
    s = await snapshot(variant);
    again = await snapshot(variant);
  });
  const inputs = (snapshot: Snapshot): RouteInputs => ({ snapshot, usable: true, dnsHttp: null, marathon: null });

  it('the same agent address gives the same list, in this snapshot and the next; another address its own', () => {
    const first = upstreams('/agent/S0/state', inputs(s));
    const other = upstreams('/agent/S1/state', inputs(s));
    expect(other).not.toBe(first);
    expect(other.map((u) => u.href)).toEqual(['http://10.0.2.3:5051/']);
    expect(upstreams('/agent/S0/x', inputs(again))).toBe(first);
    expect(upstreams('/mesos/x', inputs(s))).toBe(upstreams('/mesos/y', inputs(again)));
  });

  it('the same configured URL gives the same list', () => {
    const dnsHttp = new URL('http://127.0.0.1:8124');
    const marathon = new URL('http://10.0.2.8:8080');
    expect(upstreams('/mesos_dns/a', { ...inputs(s), dnsHttp })).toBe(upstreams('/mesos_dns/b', { ...inputs(s), dnsHttp }));
    expect(upstreams('/marathon/a', { ...inputs(s), marathon })).toBe(upstreams('/marathon/b', { ...inputs(s), marathon }));
  });

  it("Marathon's web UI is read once per snapshot", () => {
    expect(upstreams('/marathon/a', inputs(s))).toBe(upstreams('/marathon/b', inputs(s)));
  });
});
