// The Mesos-DNS HTTP API (/v1/version, /v1/config, /v1/hosts, /v1/services, /v1/enumerate, /v1/axfr) on
// a real server and a real client, held to Mesos-DNS's documented answers for the project's own state
// (test/fixtures/master-state/harbor.json) in configuration F2: the state's leader master@192.0.2.5:5050
// is kept and 192.0.2.50:5050 is the configured master.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordSet, createMesosDnsHttpHandler, mesosDnsConfigJson, parseMesosDnsConfig, type RecordSet } from '../../dns/index.js';
import type { MesosDnsHttpOptions } from '../../dns/mesos-dns/http-api.js';
import { AnswerTable } from '../../dns/server/answer-table.js';
import { TEST_ZONE } from '../support/dns-server.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';

const CONFIG_TEXT = JSON.stringify({
  masters: ['192.0.2.50:5050'],
  IPSources: ['netinfo', 'docker', 'mesos', 'host'],
  EnforceRFC952: true,
  RecurseOn: false,
  listener: '127.0.0.1',
});
const { config } = parseMesosDnsConfig(CONFIG_TEXT, '/etc/mesos-dns/config.json');
const ZONE = { domain: 'mesos', ttl: 60, refreshSeconds: 60, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.' };

let f2: RecordSet;
const servers: Server[] = [];

async function serve(overrides: Partial<MesosDnsHttpOptions> = {}): Promise<string> {
  const handler = createMesosDnsHttpHandler({
    records: () => f2,
    config: () => mesosDnsConfigJson(config, 1234),
    serial: () => 1234,
    zone: ZONE,
    version: '0.1.1',
    enumerationOn: true,
    ...overrides,
  });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base: string;
beforeAll(async () => {
  const snapshot = await fixtureSnapshot(HARBOR);
  f2 = buildRecordSet(snapshot, {
    domain: 'mesos',
    ipSources: config.ipSources,
    enforceRFC952: true,
    soaMname: 'ns1.mesos.',
    nsIps: ['127.0.0.1'],
    masters: config.masters,
  });
  base = await serve();
});
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

const getJson = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${base}${path}`, init);
  expect(res.headers.get('content-type')).toBe('application/json');
  return { status: res.status, body: (await res.json()) as unknown };
};

describe('checks 49-55 (F2)', () => {
  const table: { name: string; path: string; want: unknown }[] = [
    { name: '49 /v1/hosts/leader.mesos', path: '/v1/hosts/leader.mesos', want: [{ host: 'leader.mesos.', ip: '192.0.2.5' }] },
    {
      name: '50 /v1/services/_leader._tcp.mesos.',
      path: '/v1/services/_leader._tcp.mesos.',
      want: [{ service: '_leader._tcp.mesos.', host: 'leader.mesos.', ip: '192.0.2.5', port: '5050' }],
    },
    {
      name: '51 unknown service: one empty object',
      path: '/v1/services/_myservice._tcp.mesos.',
      want: [{ service: '', host: '', ip: '', port: '' }],
    },
    {
      name: '52 /v1/version',
      path: '/v1/version',
      want: { Service: 'Mesos-DNS', URL: 'https://github.com/mesosphere/mesos-dns', Version: '0.1.1' },
    },
    {
      name: 'master.mesos: leader and configured master',
      path: '/v1/hosts/master.mesos',
      want: [
        { host: 'master.mesos.', ip: '192.0.2.5' },
        { host: 'master.mesos.', ip: '192.0.2.50' },
      ],
    },
    { name: 'master0 is the configured master', path: '/v1/hosts/master0.mesos', want: [{ host: 'master0.mesos.', ip: '192.0.2.50' }] },
    {
      name: 'master1 is the leader outside the list',
      path: '/v1/hosts/master1.mesos',
      want: [{ host: 'master1.mesos.', ip: '192.0.2.5' }],
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const { status, body } = await getJson(c.path);
      expect(status).toBe(200);
      expect(body).toEqual(c.want);
    });
  }

  it('53 /v1/config reads back into the same config', async () => {
    const { status, body } = await getJson('/v1/config');
    expect(status).toBe(200);
    expect(body).toMatchObject({ SOASerial: 1234, File: '/etc/mesos-dns/config.json', Masters: ['192.0.2.50:5050'], RecurseOn: false, EnforceRFC952: true });
    expect(parseMesosDnsConfig(JSON.stringify(body), '/etc/mesos-dns/config.json').config).toEqual(config);
  });

  it('54 /v1/hosts/{host}/ports: 501 To be implemented...', async () => {
    const res = await fetch(`${base}/v1/hosts/leader.mesos/ports`);
    expect(res.status).toBe(501);
    expect(await res.text()).toBe('To be implemented...');
  });

  it('55 Accept: application/json is served (DCOS_OSS-611)', async () => {
    const { status, body } = await getJson('/v1/services/_leader._tcp.mesos.', { headers: { accept: 'application/json' } });
    expect(status).toBe(200);
    expect(body).toEqual([{ service: '_leader._tcp.mesos.', host: 'leader.mesos.', ip: '192.0.2.5', port: '5050' }]);
  });
});

describe('/v1/hosts and /v1/services name handling', () => {
  const table: { name: string; path: string; want: unknown }[] = [
    { name: 'upper case is lower-cased', path: '/v1/hosts/LEADER.Mesos', want: [{ host: 'leader.mesos.', ip: '192.0.2.5' }] },
    { name: 'a trailing dot is kept once', path: '/v1/hosts/leader.mesos.', want: [{ host: 'leader.mesos.', ip: '192.0.2.5' }] },
    { name: '`.*` is cleaned away', path: '/v1/hosts/leader.*.mesos', want: [{ host: 'leader.mesos.', ip: '192.0.2.5' }] },
    {
      name: 'A values then AAAA values',
      path: '/v1/hosts/slave.mesos',
      want: ['198.51.100.20', '198.51.100.21', '198.51.100.22', '2001:db8:4::7'].map((ip) => ({ host: 'slave.mesos.', ip })),
    },
    { name: 'names outside the domain (the name server)', path: '/v1/hosts/ns1.mesos', want: [{ host: 'ns1.mesos.', ip: '127.0.0.1' }] },
    { name: 'unknown host: one empty object', path: '/v1/hosts/missing.mesos', want: [{ host: '', ip: '' }] },
    { name: 'percent-encoded name', path: '/v1/hosts/leader%2Emesos', want: [{ host: 'leader.mesos.', ip: '192.0.2.5' }] },
    {
      name: 'SRV: first A and first AAAA of the target',
      path: '/v1/services/_slave._tcp.mesos',
      want: [
        { service: '_slave._tcp.mesos', host: 'slave.mesos.', ip: '198.51.100.20', port: '5051' },
        { service: '_slave._tcp.mesos', host: 'slave.mesos.', ip: '2001:db8:4::7', port: '5051' },
      ],
    },
    {
      name: 'SRV to an IPv6-only target',
      path: '/v1/services/_collector._tcp.metrics-v6.mesos.',
      want: [31960, 31961].map((port) => ({
        service: '_collector._tcp.metrics-v6.mesos.',
        host: 'collector-zexdg-4.metrics-v6.slave.mesos.',
        ip: '2001:db8:4::7',
        port: String(port),
      })),
    },
    {
      name: 'DiscoveryInfo SRV to the task IP',
      path: '/v1/services/_web._fish-market._tcp.marathon.mesos.',
      want: [
        { service: '_web._fish-market._tcp.marathon.mesos.', host: 'fish-market-t31yf-s1.marathon.mesos.', ip: '10.20.0.1', port: '8080' },
        { service: '_web._fish-market._tcp.marathon.mesos.', host: 'fish-market-3jafx-s12.marathon.mesos.', ip: '10.20.0.2', port: '8080' },
      ],
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const { status, body } = await getJson(c.path);
      expect(status).toBe(200);
      expect(body).toEqual(c.want);
    });
  }

  it('SRVs whose target has no address are left out', async () => {
    const snapshot = await fixtureSnapshot(HARBOR);
    // Only netinfo: the fish-market tasks (docker IPs) get no task address, so their DiscoveryInfo targets have none.
    const netinfoOnly = buildRecordSet(snapshot, { domain: 'mesos', ipSources: ['netinfo'], enforceRFC952: true, soaMname: 'ns1.mesos.', nsIps: [] });
    expect(netinfoOnly.srv.get('_fish-market._tcp.marathon.mesos.')).toHaveLength(4);
    const url = await serve({ records: () => netinfoOnly });
    const body = await (await fetch(`${url}/v1/services/_fish-market._tcp.marathon.mesos.`)).json();
    expect(body).toEqual([{ service: '', host: '', ip: '', port: '' }]);
  });
});

describe('/v1/enumerate and /v1/axfr', () => {
  it('enumerate: every framework, running tasks with the records they inserted first', async () => {
    const { status, body } = await getJson('/v1/enumerate');
    expect(status).toBe(200);
    const frameworks = (
      body as {
        frameworks: {
          name: string;
          tasks: { name: string; id: string; records: { name: string; host: string; rtype: string }[] | null }[];
        }[];
      }
    ).frameworks;
    expect(frameworks.map((f) => f.name)).toEqual(['metrics-v6', 'Nightly Reports BY Cron Scheduler-4.2.0', 'hostname only', 'marathon']);
    expect(frameworks.find((f) => f.name === 'hostname only')!.tasks).toEqual([]);
    const lighthouse = frameworks.find((f) => f.name === 'marathon')!.tasks.find((t) => t.name === 'lighthouse')!;
    expect(lighthouse).toEqual({
      name: 'lighthouse',
      id: 'lighthouse.0b7f3c42-8b7e-11ee-9c4e-0242ac110002',
      records: [
        { name: 'lighthouse.marathon.mesos.', host: '198.51.100.21', rtype: 'A' },
        { name: 'lighthouse-cbs7n-s1.marathon.mesos.', host: '198.51.100.21', rtype: 'A' },
        { name: 'lighthouse.marathon.slave.mesos.', host: '198.51.100.21', rtype: 'A' },
        { name: 'lighthouse-cbs7n-s1.marathon.slave.mesos.', host: '198.51.100.21', rtype: 'A' },
        { name: '_lighthouse._tcp.marathon.slave.mesos.', host: 'lighthouse-cbs7n-s1.marathon.slave.mesos.:31500', rtype: 'SRV' },
        { name: '_lighthouse._udp.marathon.slave.mesos.', host: 'lighthouse-cbs7n-s1.marathon.slave.mesos.:31500', rtype: 'SRV' },
        { name: '_lighthouse._tcp.marathon.mesos.', host: 'lighthouse-cbs7n-s1.marathon.slave.mesos.:31500', rtype: 'SRV' },
        { name: '_lighthouse._udp.marathon.mesos.', host: 'lighthouse-cbs7n-s1.marathon.slave.mesos.:31500', rtype: 'SRV' },
      ],
    });
  });

  it('axfr: the whole store with the zone parameters', async () => {
    const { status, body } = await getJson('/v1/axfr');
    expect(status).toBe(200);
    const axfr = body as { Records: { As: Record<string, string[]>; AAAAs: Record<string, string[]>; SRVs: Record<string, string[]> } };
    expect(axfr).toMatchObject({ TTL: 60, Serial: 1234, RefreshSeconds: 60, Mname: 'ns1.mesos.', Rname: 'root.ns1.mesos.', Domain: 'mesos' });
    expect(axfr.Records.As['leader.mesos.']).toEqual(['192.0.2.5']);
    expect(axfr.Records.AAAAs['collector.metrics-v6.mesos.']).toEqual(['fd02:a::3:9000:4']);
    expect(axfr.Records.SRVs['_leader._udp.mesos.']).toEqual(['leader.mesos.:5050']);
    expect(Object.keys(axfr.Records.As)).toHaveLength(f2.a.size);
    expect(Object.keys(axfr.Records.SRVs)).toHaveLength(f2.srv.size);
  });

  it('EnumerationOn false: both are 404, the rest still answers', async () => {
    const url = await serve({ enumerationOn: false });
    expect((await fetch(`${url}/v1/enumerate`)).status).toBe(404);
    expect((await fetch(`${url}/v1/axfr`)).status).toBe(404);
    expect((await fetch(`${url}/v1/hosts/leader.mesos`)).status).toBe(200);
  });
});

describe('requests that are not answered with records', () => {
  it('before the first record set: 503 JSON for record endpoints, version and config still answer', async () => {
    const url = await serve({ records: () => null });
    for (const path of ['/v1/hosts/leader.mesos', '/v1/services/_leader._tcp.mesos.', '/v1/enumerate', '/v1/axfr']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ error: 'no cluster state yet' });
    }
    expect((await fetch(`${url}/v1/version`)).status).toBe(200);
    expect((await fetch(`${url}/v1/config`)).status).toBe(200);
  });

  const notFound = [
    '/',
    '/v1',
    '/v1/',
    '/v1/nope',
    '/v1/hosts',
    '/v1/hosts/',
    '/v1/hosts/a/b',
    '/v1/hosts/a/ports/x',
    '/v1/services/',
    '/v1/services/a/b',
    '/v1/version/x',
    '/v2/version',
    '/v1/enumerate/x',
  ];
  for (const path of notFound) {
    it(`unknown path ${path}: 404 JSON`, async () => {
      const { status, body } = await getJson(path);
      expect(status).toBe(404);
      expect(body).toMatchObject({ error: expect.stringContaining('no such endpoint') });
    });
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`${method}: 405 with Allow: GET, HEAD`, async () => {
      const res = await fetch(`${base}/v1/hosts/leader.mesos`, { method, ...(method === 'DELETE' ? {} : { body: '{}' }) });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    });
  }

  it('HEAD: the headers of GET, no body', async () => {
    const res = await fetch(`${base}/v1/hosts/leader.mesos`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(JSON.stringify([{ host: 'leader.mesos.', ip: '192.0.2.5' }]).length);
    expect(await res.text()).toBe('');
  });

  it('a query string is ignored', async () => {
    expect((await getJson('/v1/hosts/leader.mesos?x=1')).body).toEqual([{ host: 'leader.mesos.', ip: '192.0.2.5' }]);
  });

  it('bad percent-encoding: 400, and the server keeps answering', async () => {
    // fetch() normalises URLs, so the raw request line goes out through http.request.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/hosts/%E0%A4%A`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    expect((await fetch(`${base}/v1/version`)).status).toBe(200);
  });

  it('a failing config view: 500 JSON, the server keeps answering', async () => {
    const url = await serve({
      config: () => {
        throw new Error('config unavailable');
      },
    });
    const res = await fetch(`${url}/v1/config`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error: config unavailable' });
    expect((await fetch(`${url}/v1/hosts/leader.mesos`)).status).toBe(200);
  });
});

describe('served from the answer table (as `gatehouse run` does, the record set dropped): the same bytes', () => {
  it('every host, every service, /v1/axfr and /v1/enumerate answer as from the record set', async () => {
    const table = new AnswerTable(f2, TEST_ZONE, 1234);
    const fromTable = await serve({ records: () => ({ names: table, enumerate: () => f2.enumerate() }) });
    const paths = [
      '/v1/axfr',
      '/v1/enumerate',
      '/v1/hosts/missing.mesos',
      '/v1/services/_missing._tcp.mesos.',
      ...[...f2.names.keys()].map((name) => `/v1/hosts/${encodeURIComponent(name)}`),
      ...[...f2.srv.keys()].map((name) => `/v1/services/${encodeURIComponent(name)}`),
    ];
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      const [want, got] = await Promise.all([fetch(`${base}${path}`), fetch(`${fromTable}${path}`)]);
      expect(got.status, path).toBe(want.status);
      expect(await got.text(), path).toBe(await want.text());
    }
  });
});
