// How `/service/<name>/` finds its upstreams (gateway/service-resolver.ts), each rule on its own: by
// DCOS_SERVICE_NAME label (its port index and scheme), by Marathon app id (Marathon's tasks only), by
// a framework's web UI (by id, then by name); nested names, IPv6, container networking, the depth
// limit. Written for what mutation testing found unchecked (TESTING.md); health and task states are
// in service-resolver.test.ts.
import { describe, expect, it } from 'vitest';
import type { Agent, Framework, Label, Snapshot, Task } from '../../cluster/index.js';
import { normalizeServiceName, resolveService } from '../../gateway/service-resolver.js';

const agent = (id: string, ips: string[]): Agent => ({ id, hostname: id, pid: null, ips, active: true, resources: {}, attributes: {} });
interface TaskSpec {
  name: string;
  appId?: string | null;
  on?: string;
  ports?: number[];
  labels?: Record<string, string>;
  netinfo?: string[];
  discoveryPorts?: number[];
}
let taskCount = 0;
const task = (t: TaskSpec): Task => ({
  id: `${t.name}.${++taskCount}`,
  name: t.name,
  frameworkId: 'fw',
  agentId: t.on ?? 'S0',
  state: 'TASK_RUNNING',
  labels: Object.entries(t.labels ?? {}).map(([key, value]): Label => ({ key, value })),
  resources: { cpus: 0, mem: 0, disk: 0, ports: t.ports ?? [] },
  discovery: t.discoveryPorts
    ? { name: t.name, visibility: 'FRAMEWORK', labels: [], ports: t.discoveryPorts.map((number) => ({ number, protocol: 'tcp', name: '', labels: [] })) }
    : null,
  vipLabels: [],
  ips: { netinfo: t.netinfo ?? [], docker: [], mesos: [], host: [] },
  health: 'unknown',
  appId: t.appId === undefined ? `/${t.name.split('.').reverse().join('/')}` : t.appId,
});
const framework = (id: string, name: string, tasks: Task[], webuiUrl: string | null = null): Framework => ({
  id, name, pid: null, hostname: 'h', ips: [], active: true, webuiUrl, tasks,
});

const SNAPSHOT: Snapshot = {
  generation: 1,
  fetchedAt: 0,
  source: { kind: 'file', origin: 'test' },
  clusterName: null,
  leader: null,
  masters: [],
  agents: [agent('S0', ['10.0.0.1']), agent('S6', ['fd00::6']), agent('S9', [])],
  frameworks: [
    framework('fw-m', 'marathon', [
      task({ name: 'web', ports: [31001] }),
      task({ name: 'web', ports: [31001] }), // a second entry with the same address: one upstream
      task({ name: 'web', ports: [31002] }),
      task({ name: 'app.grp', ports: [31010] }),
      task({ name: 'plain', appId: null, ports: [31020] }),
      task({ name: 'x', ports: [31030, 31031], labels: { DCOS_SERVICE_NAME: 'grp/labelled', DCOS_SERVICE_PORT_INDEX: '1', DCOS_SERVICE_SCHEME: 'HTTPS' } }),
      task({ name: 'six', on: 'S6', ports: [31040] }),
      task({ name: 'ctr', on: 'S9', netinfo: ['10.9.0.5'], discoveryPorts: [8080] }),
      task({ name: 'ctr6', on: 'S9', netinfo: ['fd00::9'], discoveryPorts: [8081] }),
      task({ name: 'hostport-no-agent-ip', on: 'S9', ports: [31050] }),
      task({ name: 'agent-unknown', on: 'S404', netinfo: ['10.9.0.7'], discoveryPorts: [8082] }),
      task({ name: 'bridge', netinfo: ['10.9.0.8'], discoveryPorts: [8083] }),
      task({
        name: 'w1', on: 'S9', netinfo: ['10.9.0.9'], discoveryPorts: [8084],
        labels: { DCOS_SERVICE_NAME: 'no-such-port', DCOS_SERVICE_PORT_INDEX: '1' },
      }),
      task({ name: 'ip-without-port', on: 'S9', netinfo: ['10.9.0.10'] }),
      task({ name: 'y1', ports: [31070], labels: { DCOS_SERVICE_NAME: 'negative', DCOS_SERVICE_PORT_INDEX: '-1' } }),
      task({ name: 'y2', ports: [31071], labels: { DCOS_SERVICE_NAME: 'not-a-number', DCOS_SERVICE_PORT_INDEX: 'x' } }),
      task({ name: 'y3', ports: [31072, 31073], labels: { DCOS_SERVICE_NAME: 'fraction', DCOS_SERVICE_PORT_INDEX: '0.5' } }),
      task({ name: 'k.j.i.h.g.f.e.d.c.b.a', ports: [31060] }),
      task({ name: 'j.i.h.g.f.e.d.c.b.a', ports: [31061] }),
    ]),
    // Not Marathon: its tasks are found by label only, never by their name.
    framework('fw-s', 'spark', [task({ name: 'sparkjob', appId: null, ports: [31080] }), task({ name: 'z', appId: '/z2', ports: [31081] })]),
    framework('fw-id-7', 'named', [], 'http://10.0.0.8:8080/some/ui'),
    framework('dup', 'first-by-id', [], 'http://10.0.0.10:1/'),
    framework('b', 'dup', [], 'http://10.0.0.11:1/'),
    framework('fw-broken', 'broken', [], 'not a url'),
    framework('fw-noui', 'noui', []),
  ],
  apps: [],
};

const TEN_DEEP = 'a/b/c/d/e/f/g/h/i/j';

describe('resolveService: each rule', () => {
  const cases: { name: string; path: string; want: { plain: string; upstreams: string[]; rewriteUrls?: boolean } | null }[] = [
    {
      name: 'a Marathon app by its id: every distinct address once',
      path: 'web/x',
      want: { plain: 'web', upstreams: ['http://10.0.0.1:31001/', 'http://10.0.0.1:31002/'] },
    },
    { name: 'a nested app id: grp/app is the task app.grp', path: 'grp/app/x', want: { plain: 'grp/app', upstreams: ['http://10.0.0.1:31010/'] } },
    { name: 'the reversed name is not the app', path: 'app/grp/x', want: null },
    { name: 'a Marathon task without an app id: by its name', path: 'plain/', want: { plain: 'plain', upstreams: ['http://10.0.0.1:31020/'] } },
    { name: 'an app id matches only its own name', path: 'nothing-like-it/', want: null },
    {
      name: 'by label: its port index and scheme (any case)',
      path: 'grp/labelled/x',
      want: { plain: 'grp/labelled', upstreams: ['https://10.0.0.1:31031/'] },
    },
    { name: 'an agent with an IPv6 address', path: 'six/', want: { plain: 'six', upstreams: ['http://[fd00::6]:31040/'] } },
    { name: 'container networking: the task IP and its DiscoveryInfo port', path: 'ctr/', want: { plain: 'ctr', upstreams: ['http://10.9.0.5:8080/'] } },
    { name: 'container networking over IPv6', path: 'ctr6/', want: { plain: 'ctr6', upstreams: ['http://[fd00::9]:8081/'] } },
    { name: 'a host port on an agent without an address: no upstream', path: 'hostport-no-agent-ip/', want: null },
    {
      name: 'a task on an agent the snapshot lacks: its container address',
      path: 'agent-unknown/',
      want: { plain: 'agent-unknown', upstreams: ['http://10.9.0.7:8082/'] },
    },
    {
      name: 'no host port on an agent with an address: the container address',
      path: 'bridge/',
      want: { plain: 'bridge', upstreams: ['http://10.9.0.8:8083/'] },
    },
    { name: 'a port index past the DiscoveryInfo ports: no upstream', path: 'no-such-port/', want: null },
    { name: 'a container address without a DiscoveryInfo port: no upstream', path: 'ip-without-port/', want: null },
    { name: 'a negative port index: no upstream', path: 'negative/', want: null },
    { name: 'a port index that is not a number: no upstream', path: 'not-a-number/', want: null },
    { name: 'a port index that is not an integer: no upstream', path: 'fraction/', want: null },
    { name: "another framework's task is not found by its name", path: 'sparkjob/', want: null },
    { name: "another framework's task is not found by its app id", path: 'z2/', want: null },
    { name: "a framework's web UI by its id: the origin only", path: 'fw-id-7/x', want: { plain: 'fw-id-7', upstreams: ['http://10.0.0.8:8080/'] } },
    { name: "a framework's web UI by its name", path: 'named/', want: { plain: 'named', upstreams: ['http://10.0.0.8:8080/'] } },
    { name: 'a framework id wins over another framework of that name', path: 'dup/', want: { plain: 'dup', upstreams: ['http://10.0.0.10:1/'] } },
    { name: 'a framework whose web UI is not a URL', path: 'broken/', want: null },
    { name: 'a framework without a web UI', path: 'noui/', want: null },
    { name: 'a path with a leading slash', path: '/web/', want: { plain: 'web', upstreams: ['http://10.0.0.1:31001/', 'http://10.0.0.1:31002/'] } },
    { name: 'a name ten segments deep is found', path: `${TEN_DEEP}/x`, want: { plain: TEN_DEEP, upstreams: ['http://10.0.0.1:31061/'] } },
    { name: 'a name eleven segments deep is past the limit', path: `${TEN_DEEP}/k/x`, want: { plain: TEN_DEEP, upstreams: ['http://10.0.0.1:31061/'] } },
    { name: 'eleven segments deep with no shorter name: nothing', path: 'q/b/c/d/e/f/g/h/i/j/k/', want: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const found = resolveService(SNAPSHOT, c.path);
      expect(found && { plain: found.plain, upstreams: found.upstreams.map((u) => u.href), rewriteUrls: found.rewriteUrls }).toEqual(
        c.want && { rewriteUrls: true, ...c.want },
      );
    });
  }

  it('an eleven-segment name is found only as the ten-segment one (without that one, nothing)', () => {
    const deepOnly: Snapshot = { ...SNAPSHOT, frameworks: [framework('fw-m', 'marathon', [task({ name: 'k.j.i.h.g.f.e.d.c.b.a', ports: [31060] })])] };
    expect(resolveService(deepOnly, `${TEN_DEEP}/k/x`)).toBeNull();
  });

  it('normalizeServiceName: a/b/c is c.b.a, empty segments dropped', () => {
    expect(['a/b/c', '/grp/app/', 'web', ''].map(normalizeServiceName)).toEqual(['c.b.a', 'app.grp', 'web', '']);
  });
});
