// `gatehouse mesos-dns -config config.json` end to end, held to Mesos-DNS's naming and answer rules
// applied by hand to the project's own state (test/fixtures/master-state/harbor.json; the numbered
// checks follow the list in test/fixtures/README.md): a local HTTP server plays the Mesos master and
// serves the state, the real binary polls it, the real `dig` asks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, digTable } from '../support/dig.js';
import { HARBOR, fixtureText } from '../support/fixtures.js';
import { runGatehouse, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';


describe('gatehouse mesos-dns (drop-in Mesos-DNS, fixture harbor.json)', () => {
  let dir: string;
  let master: Server;
  let masterPort: number;
  let gatehouse: GatehouseProcess;
  let dnsPort: number;
  let httpPort: number;
  let stateRequests = 0;
  // The tables' questions in one dig run; each case checks its own answer.
  const ask = digTable(
    () => dnsPort,
    () => [
      ...addressCases.map((c) => [c.q, c.type] as const),
      ...srvCases.map((c) => [c.q, 'SRV'] as const),
      ...negativeCases.map((c) => [c.q, c.type] as const),
    ],
  );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mesos-dns-'));
    const state = JSON.parse(await fixtureText(HARBOR)) as Record<string, unknown>;
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
    // The fixture's leader (192.0.2.5) is not reachable here; the master we run is the leader.
    state['leader'] = `master@127.0.0.1:${masterPort}`;

    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [`127.0.0.1:${masterPort}`],
        refreshSeconds: 60,
        ttl: 60,
        domain: 'mesos',
        port: 0, // the kernel picks; read back from the 'mesos-dns is serving' line
        listener: '127.0.0.1',
        HTTPListener: '127.0.0.1',
        httpport: 0,
        externalon: false,
        IPSources: ['netinfo', 'docker', 'mesos', 'host'],
        EnforceRFC952: true,
        RecurseOn: false,
        SOAMname: 'ns1.mesos',
        SOARname: 'root.ns1.mesos',
      }),
    );
    gatehouse = startGatehouseProcess(['mesos-dns', '-config', configPath]);
    const serving = await gatehouse.waitForLog((l) => l.msg === 'mesos-dns is serving');
    dnsPort = (serving['dns'] as { udpPort: number }).udpPort;
    httpPort = Number(serving['httpPort']);
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
    { name: '#1 DiscoveryInfo name, docker IP', q: 'sea-lion.marathon.mesos', type: 'A', want: ['10.20.0.1'] },
    { name: '#2 two tasks merge', q: 'fish-market.marathon.mesos', type: 'A', want: ['10.20.0.1', '10.20.0.2'] },
    { name: '#3 .slave variant', q: 'fish-market.marathon.slave.mesos', type: 'A', want: ['198.51.100.21', '198.51.100.22'] },
    { name: '#4 ice-cream on slave', q: 'ice-cream.marathon.slave.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#5 host fallback', q: 'ice-cream.marathon.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#6 mesos label', q: 'tugboat.marathon.mesos', type: 'A', want: ['10.20.0.3'] },
    { name: '#7 tugboat .slave', q: 'tugboat.marathon.slave.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#8 lighthouse', q: 'lighthouse.marathon.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#9 buoy', q: 'buoy.marathon.mesos', type: 'A', want: ['198.51.100.22'] },
    { name: '#10 framework', q: 'marathon.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#11 RFC952 framework label', q: 'archiver.nightlyreportsbycronsche.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#12 RFC952 framework', q: 'nightlyreportsbycronsche.mesos', type: 'A', want: ['198.51.100.22'] },
    { name: '#13 slaves A', q: 'slave.mesos', type: 'A', want: ['198.51.100.20', '198.51.100.21', '198.51.100.22'] },
    { name: '#13 slaves AAAA', q: 'slave.mesos', type: 'AAAA', want: ['2001:db8:4::7'] },
    { name: '#14 leader', q: 'leader.mesos', type: 'A', want: ['127.0.0.1'] },
    { name: '#16 master0', q: 'master0.mesos', type: 'A', want: ['127.0.0.1'] },
    { name: '#17 netinfo AAAA', q: 'collector.metrics-v6.mesos', type: 'AAAA', want: ['fd02:a::3:9000:4'] },
    { name: '#17 netinfo A', q: 'collector.metrics-v6.mesos', type: 'A', want: ['203.0.113.40', '203.0.113.41'] },
    { name: '#18 IPv6 agent', q: 'collector.metrics-v6.slave.mesos', type: 'AAAA', want: ['2001:db8:4::7'] },
    { name: '#19 IPv6 framework', q: 'metrics-v6.mesos', type: 'AAAA', want: ['2001:db8:4::7'] },
    { name: '#20 canonical name', q: 'fish-market-t31yf-s1.marathon.mesos', type: 'A', want: ['10.20.0.1'] },
    { name: '#20 canonical name 2', q: 'fish-market-3jafx-s12.marathon.mesos', type: 'A', want: ['10.20.0.2'] },
    { name: '#21 canonical .slave', q: 'ice-cream-w4n7d-s1.marathon.slave.mesos', type: 'A', want: ['198.51.100.21'] },
    { name: '#22 legacy raw DiscoveryInfo name', q: 'fish.market.marathon.mesos', type: 'A', want: ['10.20.0.1', '10.20.0.2'] },
    { name: '#23 name server', q: 'ns1.mesos', type: 'A', want: ['127.0.0.1'] },
  ];
  for (const c of addressCases) {
    it(`${c.name}: ${c.q} ${c.type}`, async () => {
      const r = await ask(c.q, c.type);
      expect(r.status).toBe('NOERROR');
      expect(r.flags).toContain('aa');
      expect(r.flags).not.toContain('ra');
      expect(r.answer.every((a) => a.ttl === 60 && a.type === c.type)).toBe(true);
      expect(r.answer.map((a) => a.data).sort()).toEqual([...c.want].sort());
    });
  }

  const srvCases: { name: string; q: string; want: string[]; additional?: string[] }[] = [
    {
      name: '#24',
      q: '_sea-lion._tcp.marathon.mesos',
      want: ['0 1 8080 sea-lion-t31yf-s1.marathon.mesos.', '0 1 8443 sea-lion-t31yf-s1.marathon.mesos.'],
    },
    {
      name: '#25 exactly four, one A each in additional',
      q: '_fish-market._tcp.marathon.mesos',
      want: [
        '0 1 8080 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8443 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8080 fish-market-3jafx-s12.marathon.mesos.',
        '0 1 8443 fish-market-3jafx-s12.marathon.mesos.',
      ],
      additional: ['fish-market-t31yf-s1.marathon.mesos. A 10.20.0.1', 'fish-market-3jafx-s12.marathon.mesos. A 10.20.0.2'],
    },
    {
      name: '#26 named port',
      q: '_web._fish-market._tcp.marathon.mesos',
      want: ['0 1 8080 fish-market-t31yf-s1.marathon.mesos.', '0 1 8080 fish-market-3jafx-s12.marathon.mesos.'],
    },
    {
      name: '#28 host ports, udp',
      q: '_ice-cream._udp.marathon.mesos',
      want: ['0 1 31420 ice-cream-w4n7d-s1.marathon.slave.mesos.', '0 1 31421 ice-cream-w4n7d-s1.marathon.slave.mesos.'],
      additional: ['ice-cream-w4n7d-s1.marathon.slave.mesos. A 198.51.100.21'],
    },
    {
      name: '#29 .slave SRV',
      q: '_ice-cream._tcp.marathon.slave.mesos',
      want: ['0 1 31420 ice-cream-w4n7d-s1.marathon.slave.mesos.', '0 1 31421 ice-cream-w4n7d-s1.marathon.slave.mesos.'],
    },
    { name: '#31 agents', q: '_slave._tcp.mesos', want: ['0 1 5051 slave.mesos.'] },
    { name: '#32 framework SRV', q: '_framework._tcp.marathon.mesos', want: ['0 1 25601 marathon.mesos.'] },
    {
      name: '#34 IPv6 target',
      q: '_collector._tcp.metrics-v6.mesos',
      want: ['0 1 31960 collector-zexdg-4.metrics-v6.slave.mesos.', '0 1 31961 collector-zexdg-4.metrics-v6.slave.mesos.'],
      additional: ['collector-zexdg-4.metrics-v6.slave.mesos. AAAA 2001:db8:4::7'],
    },
    { name: '#36 killed task: no SRV', q: '_ferry._tcp.marathon.mesos', want: [] },
    { name: '#37 DiscoveryInfo task: no udp SRV', q: '_fish-market._udp.marathon.mesos', want: [] },
  ];
  for (const c of srvCases) {
    it(`${c.name}: ${c.q} SRV`, async () => {
      const r = await ask(c.q, 'SRV');
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
    { name: '#35 killed task', q: 'ferry.marathon.mesos', type: 'A', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#38 missing A', q: 'missing.mesos', type: 'A', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#38 missing AAAA', q: 'missing.mesos', type: 'AAAA', status: 'NXDOMAIN', authority: 'SOA' },
    { name: '#39 NODATA', q: 'lighthouse.marathon.mesos', type: 'AAAA', status: 'NOERROR', authority: 'SOA' },
    { name: '#40 name owning only SRV', q: '_ice-cream._udp.marathon.mesos', type: 'A', status: 'NOERROR', authority: 'SOA' },
    { name: '#41 SOA in authority', q: 'non-existing.mesos', type: 'SOA', status: 'NOERROR', authority: 'SOA' },
    { name: '#42 NS in authority', q: 'non-existing.mesos', type: 'NS', status: 'NOERROR', authority: 'NS' },
  ];
  for (const c of negativeCases) {
    it(`${c.name}: ${c.q} ${c.type}`, async () => {
      const r = await ask(c.q, c.type);
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
    const r = await dig(dnsPort, 'lIgHtHoUsE.MARATHON.mesoS', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([{ name: 'lighthouse.marathon.mesos.', ttl: 60, type: 'A', data: '198.51.100.21' }]);
  });

  it('#46 refuses names outside the domain when externalon is false', async () => {
    const r = await dig(dnsPort, 'google.com', 'A');
    expect(r.status).toBe('REFUSED');
  });

  it('answers over TCP the same as over UDP', async () => {
    const r = await dig(dnsPort, 'fish-market.marathon.mesos', 'A', ['+tcp']);
    expect(r.answer.map((a) => a.data).sort()).toEqual(['10.20.0.1', '10.20.0.2']);
  });

  const httpCases: { name: string; path: string; status: number; body?: () => unknown }[] = [
    { name: '#49 hosts', path: '/v1/hosts/leader.mesos', status: 200, body: () => [{ host: 'leader.mesos.', ip: '127.0.0.1' }] },
    {
      name: '#50 services',
      path: '/v1/services/_leader._tcp.mesos.',
      status: 200,
      body: () => [{ service: '_leader._tcp.mesos.', host: 'leader.mesos.', ip: '127.0.0.1', port: String(masterPort) }],
    },
    {
      name: '#51 unknown service',
      path: '/v1/services/_myservice._tcp.mesos.',
      status: 200,
      body: () => [{ service: '', host: '', ip: '', port: '' }],
    },
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
