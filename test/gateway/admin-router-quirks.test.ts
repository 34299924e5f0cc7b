// Admin Router's quirks that are behaviour: each row pins what
// Gatehouse does instead, as decided in README "Edge gateway → Admin Router quirks".
import { describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot } from '../../cluster/index.js';
import { builtinRoute, earlyRedirect, normalizePath, type RouteDecision } from '../../gateway/index.js';
import { parseConfig } from '../../config/index.js';
import { startGatehouse } from '../../cli/gatehouse.js';
import { pino } from 'pino';

interface TaskDoc { id: string; name: string; state?: string; port: number; labels?: Record<string, string> }

const task = (t: TaskDoc) => ({
  id: t.id, name: t.name, framework_id: 'marathon-fw', slave_id: 'S0', state: t.state ?? 'TASK_RUNNING',
  resources: { ports: `[${t.port}-${t.port}]` },
  labels: Object.entries(t.labels ?? {}).map(([key, value]) => ({ key, value })),
  statuses: [{ state: t.state ?? 'TASK_RUNNING', timestamp: 1 }],
});

async function snapshot(tasks: TaskDoc[], frameworks: Record<string, unknown>[] = []): Promise<Snapshot> {
  const doc = {
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'S0', pid: 'slave(1)@127.0.0.1:5051', hostname: '127.0.0.1' }],
    frameworks: [{ id: 'marathon-fw', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks: tasks.map(task) }, ...frameworks],
  };
  const data = await parseMasterState(doc, { source: { kind: 'file', origin: 'quirks' }, fetchedAt: Date.now(), resolveHost: async () => [] });
  return { ...data, generation: 1 };
}

function route(s: Snapshot, rawPath: string): RouteDecision | null {
  const normalized = normalizePath(rawPath);
  if ('error' in normalized) throw new Error(normalized.error);
  return earlyRedirect(normalized.path) ?? builtinRoute(normalized.path, { snapshot: s, usable: true, dnsHttp: null, marathon: null });
}

const proxied = (d: RouteDecision | null) => {
  if (d?.kind !== 'proxy') throw new Error(`not proxied: ${JSON.stringify(d)}`);
  return { upstreams: d.upstreams.map((u) => u.href), path: d.upstreamPath, route: d.route };
};

const svc = (name: string, extra: Record<string, string> = {}) => ({
  DCOS_SERVICE_NAME: name,
  DCOS_SERVICE_PORT_INDEX: '0',
  DCOS_SERVICE_SCHEME: 'http',
  ...extra,
});

describe('Admin Router §12 quirks, as Gatehouse decides them', () => {
  it('1. a one-character final segment is a service name like any other; duplicate slashes are collapsed', async () => {
    const s = await snapshot([{ id: 'x.1', name: 'x', port: 31001, labels: svc('x') }, { id: 'b.1', name: 'b', port: 31002, labels: svc('a/b') }]);
    expect(proxied(route(s, '/service/x/'))).toMatchObject({ upstreams: ['http://127.0.0.1:31001/'], path: '/' });
    expect(proxied(route(s, '/service//a///b//foo'))).toMatchObject({ upstreams: ['http://127.0.0.1:31002/'], path: '/foo', route: 'service:a/b' });
  });

  it('2. every TASK_RUNNING task is an upstream, whatever the order of the others (no adjacent-removal bug)', async () => {
    const s = await snapshot([
      { id: 'h.1', name: 'h', state: 'TASK_KILLED', port: 31001, labels: svc('h') },
      { id: 'h.2', name: 'h', state: 'TASK_STAGING', port: 31002, labels: svc('h') },
      { id: 'h.3', name: 'h', port: 31003, labels: svc('h') },
      { id: 'h.4', name: 'h', state: 'TASK_FAILED', port: 31004, labels: svc('h') },
      { id: 'h.5', name: 'h', port: 31005, labels: svc('h') },
    ]);
    expect(proxied(route(s, '/service/h/')).upstreams).toEqual(['http://127.0.0.1:31003/', 'http://127.0.0.1:31005/']);
  });

  it('3. apps sharing a service name are pooled (not last-wins); frameworks sharing a name: the first in the state wins', async () => {
    const s = await snapshot(
      [{ id: 'one.1', name: 'one', port: 31001, labels: svc('shared') }, { id: 'two.1', name: 'two', port: 31002, labels: svc('shared') }],
      [
        { id: 'fw-a', name: 'dup', pid: 'scheduler@127.0.0.1:1', webui_url: 'http://127.0.0.1:32001', tasks: [] },
        { id: 'fw-b', name: 'dup', pid: 'scheduler@127.0.0.1:2', webui_url: 'http://127.0.0.1:32002', tasks: [] },
      ],
    );
    expect(proxied(route(s, '/service/shared/')).upstreams).toEqual(['http://127.0.0.1:31001/', 'http://127.0.0.1:31002/']);
    expect(proxied(route(s, '/service/dup/')).upstreams).toEqual(['http://127.0.0.1:32001/']);
    expect(proxied(route(s, '/service/fw-b/')).upstreams).toEqual(['http://127.0.0.1:32002/']);
  });

  it('4. a webui_url path does not replace the request path: the origin is the upstream, the request path follows', async () => {
    const s = await snapshot([], [{ id: 'fw-ui', name: 'ui', pid: 'scheduler@127.0.0.1:1', webui_url: 'http://127.0.0.1:32003/some/ui', tasks: [] }]);
    expect(proxied(route(s, '/service/ui/api/x'))).toMatchObject({ upstreams: ['http://127.0.0.1:32003/'], path: '/api/x' });
  });

  it('5. DCOS_SERVICE_REWRITE_REQUEST_URLS=false sends the normalised path, not the raw one', async () => {
    const s = await snapshot([{ id: 'raw.1', name: 'raw', port: 31001, labels: svc('raw', { DCOS_SERVICE_REWRITE_REQUEST_URLS: 'false' }) }]);
    expect(proxied(route(s, '/service/raw//a/./b/../c'))).toMatchObject({ path: '/service/raw/a/c' });
  });

  it('10. /agent/<id> without a slash is proxied to the agent root (as Admin Router); /service/<id> is a 301, /marathon a 307, /mesos a 301', async () => {
    const s = await snapshot([]);
    expect(proxied(route(s, '/agent/S0'))).toMatchObject({ upstreams: ['http://127.0.0.1:5051/'], path: '/', route: 'agent' });
    expect(route(s, '/service/anything')).toEqual({ kind: 'redirect', status: 301, location: '/service/anything/' });
    expect(route(s, '/marathon')).toEqual({ kind: 'redirect', status: 307, location: '/marathon/' });
    expect(route(s, '/mesos')).toEqual({ kind: 'redirect', status: 301, location: '/mesos/' });
  });

  it('7. nothing is fetched on the request path: without a snapshot the answer is an immediate 503', () => {
    expect(builtinRoute('/service/x/', { snapshot: null, usable: false, dnsHttp: null, marathon: null })).toMatchObject({
      kind: 'error',
      status: 503,
      code: 'ERR_GATEWAY_SNAPSHOT_UNUSABLE',
    });
  });
});

describe('Admin Router §12 quirk 8: no switch turns authentication off for everything', () => {
  it('gateway.enabled with authn.enabled: false refuses to start (open routes are per route: auth: none)', async () => {
    // Refused by the config check already, so nothing starts; the runtime check stays for configs built in code.
    expect(() =>
      parseConfig(
        'cluster: { source: file, file: { path: /nonexistent/state.json } }\ndns: { enabled: false }\ngateway: { listen: "127.0.0.1:0" }\nauthn: { enabled: false }\n',
        'quirk8.yaml',
      ),
    ).toThrow(/^quirk8\.yaml:4:19: authn\.enabled: .*ERR_GATEWAY_NEEDS_AUTHN/);
    const config = parseConfig(
      'cluster: { source: file, file: { path: /nonexistent/state.json } }\ndns: { enabled: false }\ngateway: { listen: "127.0.0.1:0" }\n',
      'quirk8.yaml',
    );
    await expect(
      startGatehouse({ ...config, authn: { ...config.authn, enabled: false } }, pino({ level: 'silent' })),
    ).rejects.toMatchObject({ code: 'ERR_GATEWAY_NEEDS_AUTHN' });
  });
});
