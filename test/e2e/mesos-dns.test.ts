// `gatehouse mesos-dns -config config.json` end to end, held to Mesos-DNS's own expectations for its
// fixture (reference mesos-dns.md §6.6): a local HTTP server plays the Mesos master and serves the
// fixture, the real binary polls it, the real `dig` asks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { freePort } from '../support/free-port.js';
import { runGatehouse, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';

const FIXTURE = new URL('../../../shared/fixtures/mesos-dns/fake-state.json', import.meta.url);

describe('gatehouse mesos-dns (drop-in Mesos-DNS, fixture fake-state.json)', () => {
  let dir: string;
  let master: Server;
  let masterPort: number;
  let gatehouse: GatehouseProcess;
  let dnsPort: number;
  let httpPort: number;
  let stateRequests = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mesos-dns-'));
    const state = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>;
    master = createServer((req, res) => {
      if (req.url !== '/master/state') {
        res.writeHead(404).end();
        return;
      }
      stateRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    });
    await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
    masterPort = (master.address() as AddressInfo).port;
    // The fixture's leader (1.2.3.4) is not reachable here; the master we run is the leader.
    state['leader'] = `master@127.0.0.1:${masterPort}`;

    dnsPort = await freePort();
    httpPort = await freePort();
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [`127.0.0.1:${masterPort}`],
        refreshSeconds: 60,
        ttl: 60,
        domain: 'mesos',
        port: dnsPort,
        listener: '127.0.0.1',
        HTTPListener: '127.0.0.1',
        httpport: httpPort,
        externalon: false,
        IPSources: ['netinfo', 'docker', 'mesos', 'host'],
        EnforceRFC952: true,
        RecurseOn: false,
        SOAMname: 'ns1.mesos',
        SOARname: 'root.ns1.mesos',
      }),
    );
    gatehouse = startGatehouseProcess(['mesos-dns', '-config', configPath]);
    await gatehouse.waitForLog((l) => l.msg === 'mesos-dns is serving');
  });

  afterAll(async () => {
    expect(await gatehouse?.stop()).toBe(0);
    await new Promise<void>((resolve) => master?.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('fetched /master/state from the configured master', () => {
    expect(stateRequests).toBeGreaterThanOrEqual(1);
  });

  const addressCases: { name: string; q: string; type: 'A' | 'AAAA'; want: string[] }[] = [
    { name: '#1 DiscoveryInfo name, docker IP', q: 'big-dog.marathon.mesos', type: 'A', want: ['10.3.0.1'] },
    { name: '#2 two tasks merge', q: 'liquor-store.marathon.mesos', type: 'A', want: ['10.3.0.1', '10.3.0.2'] },
    { name: '#3 .slave variant', q: 'liquor-store.marathon.slave.mesos', type: 'A', want: ['1.2.3.11', '1.2.3.12'] },
    { name: '#4 car-store on slave', q: 'car-store.marathon.slave.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#5 host fallback', q: 'car-store.marathon.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#6 mesos label', q: 'nginx.marathon.mesos', type: 'A', want: ['10.3.0.3'] },
    { name: '#7 nginx .slave', q: 'nginx.marathon.slave.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#8 chronos', q: 'chronos.marathon.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#9 reviewbot', q: 'reviewbot.marathon.mesos', type: 'A', want: ['1.2.3.12'] },
    { name: '#10 framework', q: 'marathon.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#11 RFC952 framework label', q: 'some-box.chronoswithaspaceandmixe.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#12 RFC952 framework', q: 'chronoswithaspaceandmixe.mesos', type: 'A', want: ['1.2.3.12'] },
    { name: '#13 slaves A', q: 'slave.mesos', type: 'A', want: ['1.2.3.10', '1.2.3.11', '1.2.3.12'] },
    { name: '#13 slaves AAAA', q: 'slave.mesos', type: 'AAAA', want: ['2001:db8::1'] },
    { name: '#14 leader', q: 'leader.mesos', type: 'A', want: ['127.0.0.1'] },
    { name: '#16 master0', q: 'master0.mesos', type: 'A', want: ['127.0.0.1'] },
    { name: '#17 netinfo AAAA', q: 'toy-store.ipv6-framework.mesos', type: 'AAAA', want: ['fd01:b::1:8000:2'] },
    { name: '#17 netinfo A', q: 'toy-store.ipv6-framework.mesos', type: 'A', want: ['12.0.1.2', '12.0.1.3'] },
    { name: '#18 IPv6 agent', q: 'toy-store.ipv6-framework.slave.mesos', type: 'AAAA', want: ['2001:db8::1'] },
    { name: '#19 IPv6 framework', q: 'ipv6-framework.mesos', type: 'AAAA', want: ['2001:db8::1'] },
    { name: '#20 canonical name', q: 'liquor-store-4dfjd-0.marathon.mesos', type: 'A', want: ['10.3.0.1'] },
    { name: '#20 canonical name 2', q: 'liquor-store-zasmd-1.marathon.mesos', type: 'A', want: ['10.3.0.2'] },
    { name: '#21 canonical .slave', q: 'car-store-zinaz-0.marathon.slave.mesos', type: 'A', want: ['1.2.3.11'] },
    { name: '#22 legacy raw DiscoveryInfo name', q: 'liquor.store.marathon.mesos', type: 'A', want: ['10.3.0.1', '10.3.0.2'] },
    { name: '#23 name server', q: 'ns1.mesos', type: 'A', want: ['127.0.0.1'] },
  ];
  for (const c of addressCases) {
    it(`${c.name}: ${c.q} ${c.type}`, async () => {
      const r = await dig(dnsPort, c.q, c.type);
      expect(r.status).toBe('NOERROR');
      expect(r.flags).toContain('aa');
      expect(r.flags).not.toContain('ra');
      expect(r.answer.every((a) => a.ttl === 60 && a.type === c.type)).toBe(true);
      expect(r.answer.map((a) => a.data).sort()).toEqual([...c.want].sort());
    });
  }

  const srvCases: { name: string; q: string; want: string[]; additional?: string[] }[] = [
    { name: '#24', q: '_big-dog._tcp.marathon.mesos', want: ['0 1 80 big-dog-4dfjd-0.marathon.mesos.', '0 1 443 big-dog-4dfjd-0.marathon.mesos.'] },
    {
      name: '#25 exactly four, one A each in additional',
      q: '_liquor-store._tcp.marathon.mesos',
      want: ['0 1 80 liquor-store-4dfjd-0.marathon.mesos.', '0 1 443 liquor-store-4dfjd-0.marathon.mesos.', '0 1 80 liquor-store-zasmd-1.marathon.mesos.', '0 1 443 liquor-store-zasmd-1.marathon.mesos.'],
      additional: ['liquor-store-4dfjd-0.marathon.mesos. A 10.3.0.1', 'liquor-store-zasmd-1.marathon.mesos. A 10.3.0.2'],
    },
    { name: '#26 named port', q: '_http._liquor-store._tcp.marathon.mesos', want: ['0 1 80 liquor-store-4dfjd-0.marathon.mesos.', '0 1 80 liquor-store-zasmd-1.marathon.mesos.'] },
    {
      name: '#28 host ports, udp',
      q: '_car-store._udp.marathon.mesos',
      want: ['0 1 31364 car-store-zinaz-0.marathon.slave.mesos.', '0 1 31365 car-store-zinaz-0.marathon.slave.mesos.'],
      additional: ['car-store-zinaz-0.marathon.slave.mesos. A 1.2.3.11'],
    },
    { name: '#29 .slave SRV', q: '_car-store._tcp.marathon.slave.mesos', want: ['0 1 31364 car-store-zinaz-0.marathon.slave.mesos.', '0 1 31365 car-store-zinaz-0.marathon.slave.mesos.'] },
    { name: '#31 agents', q: '_slave._tcp.mesos', want: ['0 1 5051 slave.mesos.'] },
    { name: '#32 framework SRV', q: '_framework._tcp.marathon.mesos', want: ['0 1 25501 marathon.mesos.'] },
    { name: '#34 IPv6 target', q: '_toy-store._tcp.ipv6-framework.mesos', want: ['0 1 31354 toy-store-go588-3.ipv6-framework.slave.mesos.', '0 1 31355 toy-store-go588-3.ipv6-framework.slave.mesos.'], additional: ['toy-store-go588-3.ipv6-framework.slave.mesos. AAAA 2001:db8::1'] },
    { name: '#36 killed task: no SRV', q: '_poseidon._tcp.marathon.mesos', want: [] },
    { name: '#37 DiscoveryInfo task: no udp SRV', q: '_liquor-store._udp.marathon.mesos', want: [] },
  ];
  for (const c of srvCases) {
    it(`${c.name}: ${c.q} SRV`, async () => {
      const r = await dig(dnsPort, c.q, 'SRV');
      expect(r.status).toBe('NOERROR');
      expect(r.answer.map((a) => a.data).sort()).toEqual([...c.want].sort());
      if (c.want.length === 0) expect(r.authority).toEqual([]);
      if (c.additional) expect(r.additional.map((a) => `${a.name} ${a.type} ${a.data}`).sort()).toEqual([...c.additional].sort());
    });
  }

  it('#33 leader SRV points at the leader port', async () => {
    const r = await dig(dnsPort, '_leader._tcp.mesos', 'SRV');
    expect(r.answer.map((a) => a.data)).toEqual([`0 1 ${masterPort} leader.mesos.`]);
  });

  const negativeCases: { name: string; q: string; type: string; status: string; authority: string }[] = [
    { name: '#35 killed task', q: 'poseidon.marathon.mesos', type: 'A', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#38 missing A', q: 'missing.mesos', type: 'A', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#38 missing AAAA', q: 'missing.mesos', type: 'AAAA', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#39 NODATA', q: 'chronos.marathon.mesos', type: 'AAAA', status: 'NOERROR', authority: 'SOA' },
    { name: '#40 name owning only SRV', q: '_car-store._udp.marathon.mesos', type: 'A', status: 'NOERROR', authority: 'SOA' },
    { name: '#41 SOA in authority', q: 'non-existing.mesos', type: 'SOA', status: 'NOERROR', authority: 'SOA' },
    { name: '#42 NS in authority', q: 'non-existing.mesos', type: 'NS', status: 'NOERROR', authority: 'NS' },
  ];
  for (const c of negativeCases) {
    it(`${c.name}: ${c.q} ${c.type}`, async () => {
      const r = await dig(dnsPort, c.q, c.type);
      expect(r.status).toBe(c.status);
      expect(r.answer).toEqual([]);
      expect(r.authority).toHaveLength(1);
      expect(r.authority[0]!.type).toBe(c.authority);
      expect(r.authority[0]!.name).toBe(`${c.q}.`);
      if (c.authority === 'SOA') expect(r.authority[0]!.data).toMatch(/^ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/);
      if (c.authority === 'NS') expect(r.authority[0]!.data).toBe('ns1.mesos.');
    });
  }

  it('#43 matches case-insensitively and answers with the lower-cased owner', async () => {
    const r = await dig(dnsPort, 'cHrOnOs.MARATHON.mesoS', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([{ name: 'chronos.marathon.mesos.', ttl: 60, type: 'A', data: '1.2.3.11' }]);
  });

  it('#46 refuses names outside the domain when externalon is false', async () => {
    const r = await dig(dnsPort, 'google.com', 'A');
    expect(r.status).toBe('REFUSED');
  });

  it('answers over TCP the same as over UDP', async () => {
    const r = await dig(dnsPort, 'liquor-store.marathon.mesos', 'A', ['+tcp']);
    expect(r.answer.map((a) => a.data).sort()).toEqual(['10.3.0.1', '10.3.0.2']);
  });

  const httpCases: { name: string; path: string; status: number; body?: () => unknown }[] = [
    { name: '#49 hosts', path: '/v1/hosts/leader.mesos', status: 200, body: () => [{ host: 'leader.mesos.', ip: '127.0.0.1' }] },
    { name: '#50 services', path: '/v1/services/_leader._tcp.mesos.', status: 200, body: () => [{ service: '_leader._tcp.mesos.', host: 'leader.mesos.', ip: '127.0.0.1', port: String(masterPort) }] },
    { name: '#51 unknown service', path: '/v1/services/_myservice._tcp.mesos.', status: 200, body: () => [{ service: '', host: '', ip: '', port: '' }] },
    { name: '#54 ports', path: '/v1/hosts/x/ports', status: 501 },
  ];
  for (const c of httpCases) {
    it(`HTTP ${c.name}: ${c.path}`, async () => {
      const response = await fetch(`http://127.0.0.1:${httpPort}${c.path}`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(c.status);
      if (c.body) expect(await response.json()).toEqual(c.body());
    });
  }

  it('#52 version', async () => {
    const body = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/version`)).json()) as Record<string, string>;
    expect(body['Service']).toBe('Mesos-DNS');
    expect(body['URL']).toBe('https://github.com/mesosphere/mesos-dns');
    expect(typeof body['Version']).toBe('string');
  });

  it('-version prints a version and exits 0', async () => {
    const result = await runGatehouse(['mesos-dns', '-version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/\d+\.\d+\.\d+/);
  });

  it('a config that is not valid exits 1 naming the file and key', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ masters: ['127.0.0.1:5050'], IPSources: ['netinfo', 'dns'] }));
    const result = await runGatehouse(['mesos-dns', '-config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toMatch(/IPSources/i);
  });
});
