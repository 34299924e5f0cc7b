// gatehouse.yaml: defaults, and every kind of problem reported as file:line:col: key.path: message.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, loadConfig, parseConfig, parseDuration, parseListenAddress } from '../../config/index.js';

const problems = (yaml: string): string[] => {
  try {
    parseConfig(yaml, 'g.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
};

describe('defaults (interface §2)', () => {
  const config = parseConfig('', 'g.yaml');
  const table: [string, unknown, unknown][] = [
    ['cluster.source', config.cluster.source, 'local'],
    ['cluster.staleAfter', config.cluster.staleAfterMs, 75_000],
    ['cluster.unusableAfter', config.cluster.unusableAfterMs, 3 * 86_400_000],
    ['cluster.mesos.refresh', config.cluster.mesos.refreshMs, 5000],
    ['cluster.mesos.timeout', config.cluster.mesos.timeoutMs, 5000],
    ['cluster.local.agents', config.cluster.local.agents, 1],
    ['cluster.local.http', config.cluster.local.http, { host: '127.0.0.1', port: 5050 }],
    ['cluster.local.apps', config.cluster.local.apps, resolve('config/apps.d')],
    ['cluster.local.workDir', config.cluster.local.workDir, resolve('.gatehouse/work')],
    ['cluster.local.name', config.cluster.local.name, 'gatehouse'],
    ['cluster.local.resources.disk', config.cluster.local.resources.disk, 10240],
    ['cluster.local.resources.ports', config.cluster.local.resources.ports, '31000-32000'],
    ['cluster.local.isolation', config.cluster.local.isolation, 'auto'],
    ['dns.enabled', config.dns.enabled, true],
    ['dns.listen', config.dns.listen, { host: '127.0.0.1', port: 8053 }],
    ['dns.domain', config.dns.domain, 'mesos'],
    ['dns.ttl', config.dns.ttl, 60],
    ['dns.resolvers', config.dns.resolvers, []],
    ['dns.http', config.dns.http, { host: '127.0.0.1', port: 8123 }],
    ['dns.ipSources', config.dns.ipSources, ['netinfo', 'mesos', 'host']],
    ['dns.enforceRFC952', config.dns.enforceRFC952, false],
    ['dns.healthyOnly', config.dns.healthyOnly, false],
    ['dns.workers (DNS in the main process)', config.dns.workers, 1],
    ['gateway.listen', config.gateway.listen, { host: '127.0.0.1', port: 8080 }],
    ['gateway.tls', config.gateway.tls, null],
    ['gateway.workers', config.gateway.workers, availableParallelism()],
    ['gateway.maxBodySize', config.gateway.maxBodySize, 1024 ** 3],
    ['gateway.maxHeaderSize', config.gateway.maxHeaderSize, 32 * 1024],
    ['gateway.shutdownTimeout', config.gateway.shutdownTimeoutMs, 10_000],
    ['gateway.bodyTimeout', config.gateway.bodyTimeoutMs, 60_000],
    ['gateway.discardBodyTimeout', config.gateway.discardBodyTimeoutMs, 5_000],
    ['gateway.discardBodySize', config.gateway.discardBodySize, 1024 ** 2],
    ['gateway.maxConnectionsPerAddress', config.gateway.maxConnectionsPerAddress, 512],
    ['gateway.accessLog', config.gateway.accessLog, { enabled: true, sample: 1, bufferBytes: 4 * 1024 ** 2 }],
    ['gateway.engine', config.gateway.engine, 'lean'],
    ['gateway.accept', config.gateway.accept, 'shared'],
    ['authn.signingKey', config.authn.signingKey, resolve('.gatehouse/signing-key.pem')],
    ['authn.tokenTtl', config.authn.tokenTtlMs, 5 * 86_400_000],
    ['log.level', config.log.level, 'info'],
    [
      'mesh',
      config.mesh,
      {
        enabled: true,
        vipRange: '127.11.0.0/16',
        interface: null,
        balance: 'round-robin',
        connectTimeoutMs: 2000,
        failureBackoffMs: 10_000,
        drainTimeoutMs: 300_000,
        workers: 1,
      },
    ],
  ];
  for (const [key, got, want] of table) it(key, () => expect(got).toEqual(want));
  it('is frozen', () => expect(Object.isFrozen(config.dns.listen)).toBe(true));
});

describe('problems, each with its position', () => {
  const table: { name: string; yaml: string; want: string[] }[] = [
    {
      name: 'unknown top-level key',
      yaml: 'dnss: {}\n',
      want: ['g.yaml:1:1: dnss: unknown key (allowed: cluster, dns, gateway, authn, mesh, log)'],
    },
    {
      name: 'unknown nested key',
      yaml: 'cluster:\n  mesos:\n    master: []\n',
      want: ['g.yaml:3:5: cluster.mesos.master: unknown key (allowed: masters, marathon, refresh, timeout)'],
    },
    {
      name: 'mesh: range not a CIDR',
      yaml: 'mesh:\n  vipRange: 127.11.0.0\n',
      want: ['g.yaml:2:13: mesh.vipRange: "127.11.0.0" is not an IPv4 range (a.b.c.d/prefix, e.g. 127.11.0.0/16)'],
    },
    {
      name: 'mesh: range too narrow',
      yaml: 'mesh:\n  vipRange: 127.11.0.0/31\n',
      want: ['g.yaml:2:13: mesh.vipRange: "127.11.0.0/31": the prefix must be 8..30 (got /31)'],
    },
    {
      name: 'mesh: unknown balance',
      yaml: 'mesh:\n  balance: random\n',
      want: ['g.yaml:2:12: mesh.balance: must be one of round-robin, least-connections, got string "random"'],
    },
    {
      name: 'mesh: zero connect timeout',
      yaml: 'mesh:\n  connectTimeout: 0s\n',
      want: ['g.yaml:2:19: mesh.connectTimeout: must be longer than 0'],
    },
    {
      name: 'mesh: interface with a loopback range',
      yaml: 'mesh:\n  interface: minuteman\n',
      want: [
        'g.yaml:2:14: mesh.interface: puts mesh.vipRange on an interface, but 127.11.0.0/16 lies in 127.0.0.0/8, which is local already: ' +
          'set mesh.vipRange (e.g. 11.0.0.0/8) or remove mesh.interface',
      ],
    },
    {
      name: 'mesh: interface name too long',
      yaml: 'mesh:\n  vipRange: 11.0.0.0/8\n  interface: a-very-long-interface\n',
      want: [
        'g.yaml:3:14: mesh.interface: must be a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -, not lo), e.g. minuteman, ' +
          'got string "a-very-long-interface"',
      ],
    },
    {
      name: 'mesh: interface is the loopback',
      yaml: 'mesh:\n  vipRange: 11.0.0.0/8\n  interface: lo\n',
      want: ['g.yaml:3:14: mesh.interface: must be a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -, not lo), e.g. minuteman, got string "lo"'],
    },
    { name: 'wrong type', yaml: 'dns:\n  ttl: abc\n', want: ['g.yaml:2:8: dns.ttl: must be an integer, got string "abc"'] },
    {
      name: 'bad enum',
      yaml: 'cluster:\n  source: mesoss\n',
      want: ['g.yaml:2:11: cluster.source: must be one of local, mesos, file, got string "mesoss"'],
    },
    {
      name: 'bad duration',
      yaml: 'cluster:\n  staleAfter: 5 minutes\n',
      want: ['g.yaml:2:15: cluster.staleAfter: must be a duration such as 90s, 5m, 5d, or a number of seconds, got string "5 minutes"'],
    },
    {
      name: 'bad listen address',
      yaml: 'dns:\n  listen: localhost\n',
      want: ['g.yaml:2:11: dns.listen: must be host:port, e.g. 127.0.0.1:8053, got string "localhost"'],
    },
    {
      name: 'port out of range',
      yaml: 'dns:\n  listen: 127.0.0.1:70000\n',
      want: ['g.yaml:2:11: dns.listen: port 70000 is not between 0 and 65535'],
    },
    {
      name: 'mesos source without masters',
      yaml: 'cluster:\n  source: mesos\n',
      want: ['g.yaml:2:11: cluster.source: is mesos: list at least one master URL in cluster.mesos.masters, e.g. ["http://10.0.0.1:5050"]'],
    },
    {
      name: 'master that is not a URL',
      yaml: 'cluster:\n  source: mesos\n  mesos:\n    masters: [10.0.0.1:5050]\n',
      want: ['g.yaml:4:15: cluster.mesos.masters[0]: "10.0.0.1:5050" is not an http(s) URL'],
    },
    {
      name: 'file source without path',
      yaml: 'cluster:\n  source: file\n',
      want: ['g.yaml:2:11: cluster.source: is file: set cluster.file.path to a Mesos /master/state document'],
    },
    {
      name: 'unusableAfter not after staleAfter',
      yaml: 'cluster:\n  staleAfter: 1h\n  unusableAfter: 30m\n',
      want: ['g.yaml:3:18: cluster.unusableAfter: must be longer than cluster.staleAfter'],
    },
    {
      name: 'resolver with a host name',
      yaml: 'dns:\n  resolvers: [dns.google]\n',
      want: ['g.yaml:2:15: dns.resolvers[0]: "dns.google" is not an upstream resolver (ip or ip:port)'],
    },
    {
      name: 'bad domain',
      yaml: 'dns:\n  domain: -bad.\n',
      want: ['g.yaml:2:11: dns.domain: "-bad." is not a domain name (labels of a-z, 0-9 and -, separated by dots, no trailing dot)'],
    },
    {
      name: 'local port range backwards',
      yaml: 'cluster:\n  local:\n    resources: { ports: "32000-31000" }\n',
      want: ['g.yaml:3:25: cluster.local.resources.ports: port range 32000-31000 must be within 1-65535 and ascending'],
    },
    {
      name: 'local port range not a range',
      yaml: 'cluster:\n  local:\n    resources:\n      ports: "31000-x"\n',
      want: ['g.yaml:4:14: cluster.local.resources.ports: "31000-x" is not a port or a port range (like 31000-32000)'],
    },
    {
      name: 'local cpus zero',
      yaml: 'cluster:\n  local:\n    resources: { cpus: 0 }\n',
      want: ['g.yaml:3:24: cluster.local.resources.cpus: must be > 0, got number 0'],
    },
    {
      name: 'local isolation unknown',
      yaml: 'cluster:\n  local:\n    isolation: docker\n',
      want: ['g.yaml:3:16: cluster.local.isolation: must be one of auto, none, got string "docker"'],
    },
    {
      name: 'tls with only a cert',
      yaml: 'gateway:\n  tls: { cert: c.pem }\n',
      want: ['g.yaml:2:8: gateway.tls: needs both cert and key'],
    },
    { name: 'workers zero', yaml: 'gateway:\n  workers: 0\n', want: ['g.yaml:2:12: gateway.workers: must be >= 1, got number 0'] },
    { name: 'dns workers zero', yaml: 'dns:\n  workers: 0\n', want: ['g.yaml:2:12: dns.workers: must be >= 1, got number 0'] },
    {
      name: 'dns workers neither auto nor a number',
      yaml: 'dns:\n  workers: all\n',
      want: ['g.yaml:2:12: dns.workers: must be "auto" (one per core) or a number of processes, got string "all"'],
    },
    {
      name: 'workers neither auto nor a number',
      yaml: 'gateway:\n  workers: many\n',
      want: ['g.yaml:2:12: gateway.workers: must be "auto" (one per core) or a number of processes, got string "many"'],
    },
    {
      name: 'accept unknown',
      yaml: 'gateway:\n  accept: primary\n',
      want: ['g.yaml:2:11: gateway.accept: must be one of shared, round-robin, got string "primary"'],
    },
    {
      name: 'bad body size',
      yaml: 'gateway:\n  maxBodySize: 1 TB\n',
      want: ['g.yaml:2:16: gateway.maxBodySize: must be a size such as 65536, 512k, 32m or 1g, got string "1 TB"'],
    },
    {
      name: 'bodyTimeout zero',
      yaml: 'gateway:\n  bodyTimeout: 0s\n',
      want: [
        'g.yaml:2:16: gateway.bodyTimeout: must be longer than 0 (a request body that never arrives would hold its connection forever)',
      ],
    },
    {
      name: 'discardBodyTimeout zero',
      yaml: 'gateway:\n  discardBodyTimeout: 0\n',
      want: [
        'g.yaml:2:23: gateway.discardBodyTimeout: must be longer than 0 (a request body that never arrives would hold its connection forever)',
      ],
    },
    {
      name: 'bad discardBodySize',
      yaml: 'gateway:\n  discardBodySize: lots\n',
      want: ['g.yaml:2:20: gateway.discardBodySize: must be a size such as 65536, 512k, 32m or 1g, got string "lots"'],
    },
    {
      name: 'accessLog.sample over 1',
      yaml: 'gateway:\n  accessLog:\n    sample: 1.5\n',
      want: ['g.yaml:3:13: gateway.accessLog.sample: must be <= 1, got number 1.5'],
    },
    {
      name: 'accessLog.buffer under 64 KiB',
      yaml: 'gateway:\n  accessLog:\n    buffer: 1k\n',
      want: ['g.yaml:3:13: gateway.accessLog.buffer: must be at least 64k, got "1k"'],
    },
    {
      name: 'maxConnectionsPerAddress zero',
      yaml: 'gateway:\n  maxConnectionsPerAddress: 0\n',
      want: ['g.yaml:2:29: gateway.maxConnectionsPerAddress: must be >= 1, got number 0'],
    },
    {
      name: 'YAML syntax error',
      yaml: 'dns:\n  ttl: [1, 2\n',
      want: ['g.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    },
    { name: 'duplicate key', yaml: 'dns:\n  ttl: 1\n  ttl: 2\n', want: ['g.yaml:3:3: Map keys must be unique'] },
    {
      name: 'not a mapping',
      yaml: '- a\n- b\n',
      want: ['g.yaml:1:1: the config must be a mapping of sections (cluster, dns, gateway, authn, mesh, log)'],
    },
    {
      name: 'several problems at once, in file order',
      yaml: 'dns:\n  ttl: x\n  foo: 1\ncluster:\n  source: nope\n',
      want: [
        'g.yaml:2:8: dns.ttl: must be an integer, got string "x"',
        'g.yaml:3:3: dns.foo: unknown key (allowed: enabled, listen, domain, ttl, resolvers, resolverTimeout, http, ipSources, enforceRFC952, healthyOnly, workers)',
        'g.yaml:5:11: cluster.source: must be one of local, mesos, file, got string "nope"',
      ],
    },
  ];
  for (const c of table) it(c.name, () => expect(problems(c.yaml)).toEqual(c.want));
});

describe('dns workers', () => {
  const dns = (yaml: string) => parseConfig(`dns:\n${yaml}`, 'g.yaml').dns;
  it('workers: auto is the number of cores', () => expect(dns('  workers: auto\n').workers).toBe(availableParallelism()));
  it('workers: 4', () => expect(dns('  workers: 4\n').workers).toBe(4));
});

describe('gateway sizes and workers', () => {
  const gw = (yaml: string) => parseConfig(`gateway:\n${yaml}`, 'g.yaml').gateway;
  it('workers: auto is the number of cores', () => expect(gw('  workers: auto\n').workers).toBe(availableParallelism()));
  it('workers: 3', () => expect(gw('  workers: 3\n').workers).toBe(3));
  it('accept: round-robin', () => expect(gw('  accept: round-robin\n').accept).toBe('round-robin'));
  const sizes: [string, number][] = [['65536', 65536], ['512k', 512 * 1024], ['32m', 32 * 1024 ** 2], ['1g', 1024 ** 3], ['1024M', 1024 ** 3]];
  for (const [text, bytes] of sizes) it(`maxBodySize ${text}`, () => expect(gw(`  maxBodySize: ${text}\n`).maxBodySize).toBe(bytes));
  it('bodyTimeout 250ms', () => expect(gw('  bodyTimeout: 250ms\n').bodyTimeoutMs).toBe(250));
  it('discardBodyTimeout 2s and discardBodySize 64k', () =>
    expect(gw('  discardBodyTimeout: 2s\n  discardBodySize: 64k\n')).toMatchObject({ discardBodyTimeoutMs: 2000, discardBodySize: 65536 }));
  it('accessLog off, sampled, 16m buffer', () =>
    expect(gw('  accessLog: { enabled: false, sample: 0.25, buffer: 16m }\n').accessLog).toEqual({
      enabled: false,
      sample: 0.25,
      bufferBytes: 16 * 1024 ** 2,
    }));
  it('maxConnectionsPerAddress 1000', () => expect(gw('  maxConnectionsPerAddress: 1000\n').maxConnectionsPerAddress).toBe(1000));
  it('shutdownTimeout 30s', () => expect(gw('  shutdownTimeout: 30s\n').shutdownTimeoutMs).toBe(30_000));
  const exec: { name: string; yaml: string; want: unknown }[] = [
    { name: 'exec.allow by default: any authenticated user, as open DC/OS', yaml: '', want: {} },
    { name: 'exec.allow: uids and groups', yaml: 'gateway:\n  exec: { allow: { uid: [ci], groups: [sre] } }\n', want: { uid: ['ci'], groups: ['sre'] } },
    { name: 'exec.allow: {} lets every authenticated user (open DC/OS)', yaml: 'gateway:\n  exec: { allow: {} }\n', want: {} },
  ];
  for (const c of exec) it(c.name, () => expect(parseConfig(c.yaml, 'g.yaml').gateway.exec.allow).toEqual(c.want));
  it('exec.allow with an unknown key is an error naming it', () =>
    expect(() => parseConfig('gateway:\n  exec: { allow: { user: [x] } }\n', 'g.yaml')).toThrow(/gateway\.exec\.allow/));
});

describe('values', () => {
  const durations: [unknown, number | null][] = [
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['5d', 432_000_000],
    [30, 30_000],
    [1.5, 1500],
    ['1.5s', 1500],
    ['5', null],
    ['5x', null],
    [-1, null],
    ['', null],
    [null, null],
  ];
  for (const [input, want] of durations) it(`duration ${JSON.stringify(input)}`, () => expect(parseDuration(input)).toBe(want));
  const addresses: [string, unknown][] = [
    ['127.0.0.1:8053', { host: '127.0.0.1', port: 8053 }],
    ['[::1]:53', { host: '::1', port: 53 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['localhost:80', { host: '127.0.0.1', port: 80 }],
    ['example.com:53', '"example.com" is not an IP address'],
    ['1.2.3.4', '"1.2.3.4" has no port'],
  ];
  for (const [input, want] of addresses) it(`listen address ${input}`, () => expect(parseListenAddress(input)).toEqual(want));
  it('mesh.interface with a range outside 127.0.0.0/8', () =>
    expect(parseConfig('mesh:\n  vipRange: 11.0.0.0/8\n  interface: minuteman\n', 'g.yaml').mesh).toMatchObject({ vipRange: '11.0.0.0/8', interface: 'minuteman' }));
  it('dns.http "" disables the HTTP API', () => expect(parseConfig('dns:\n  http: ""\n', 'g.yaml').dns.http).toBeNull());
});

describe('files', () => {
  it('a missing file is an error naming it', async () => {
    await expect(loadConfig('/nonexistent/g.yaml')).rejects.toMatchObject({ message: '/nonexistent/g.yaml:1:1: cannot read the config file (ENOENT)' });
  });
  it('the shipped config/gatehouse.yaml is valid, runs the embedded cluster, and its example state file is a Mesos state', async () => {
    const config = await loadConfig(new URL('../../config/gatehouse.yaml', import.meta.url).pathname);
    expect(config.cluster.source).toBe('local');
    const { parseMasterState } = await import('../../cluster/index.js');
    const { readFile } = await import('node:fs/promises');
    const state = await parseMasterState(JSON.parse(await readFile(new URL('../../config/sample-state.json', import.meta.url), 'utf8')), {
      source: { kind: 'file', origin: 'sample' },
      fetchedAt: 0,
    });
    expect(state.frameworks[0]!.tasks.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.name)).toEqual(['hello', 'hello', 'web.grp']);
  });
  it('gatehouse validate: one line per problem, exit 1; clean: exit 0', async () => {
    const { runGatehouse } = await import('../support/gatehouse-process.js');
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-validate-'));
    try {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'dns:\n  ttl: x\n  foo: 1\n');
      const result = await runGatehouse(['validate', '--config', bad]);
      expect(result.code).toBe(1);
      expect(result.stdout.trim().split('\n')).toEqual([
        `${bad}:2:8: dns.ttl: must be an integer, got string "x"`,
        expect.stringContaining(`${bad}:3:3: dns.foo: unknown key`),
      ]);
      const good = await runGatehouse(['validate']);
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/ok \(1 route file, 1 app file\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('gatehouse validate: every app file of cluster.local.apps, errors and warnings at file:line:col; warnings alone pass', async () => {
    const { runGatehouse } = await import('../support/gatehouse-process.js');
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-validate-apps-'));
    try {
      const apps = join(dir, 'apps.d');
      const config = join(dir, 'g.yaml');
      await writeFile(config, `cluster:\n  local:\n    apps: ${apps}\ngateway:\n  routes: ${join(dir, 'routes.d')}\n`);
      const missing = await runGatehouse(['validate', '--config', config]);
      expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 0, stdout: `${config}: ok (0 route files, 0 app files)\n` });

      await mkdir(apps);
      await writeFile(join(apps, 'web.yaml'), 'id: web\ncmd: x\nconstraints: []\n');
      const warned = await runGatehouse(['validate', '--config', config]);
      expect(warned.code).toBe(0);
      expect(warned.stdout.trim().split('\n')).toEqual([
        `${join(apps, 'web.yaml')}:3:1: warning: constraints: ignored: all agents of the embedded cluster are on this machine, placement constraints have no effect`,
        `${config}: ok (0 route files, 1 app file)`,
      ]);

      await writeFile(join(apps, 'db.json'), '{"id": "db", "cmd": "x", "container": {"docker": {"image": "postgres"}}, "instances": -1}');
      await writeFile(join(apps, 'x.yaml'), 'id: web\ncmd: y\n');
      const bad = await runGatehouse(['validate', '--config', config]);
      expect(bad.code).toBe(1);
      expect(bad.stdout.trim().split('\n')).toEqual([
        `${join(apps, 'db.json')}:1:26: container: the embedded cluster runs commands only (no Docker/UCR images); drop it or use cluster.source: mesos`,
        `${join(apps, 'db.json')}:1:87: instances: must be >= 0, got number -1`,
        `${join(apps, 'web.yaml')}:3:1: warning: constraints: ignored: all agents of the embedded cluster are on this machine, placement constraints have no effect`,
        `${join(apps, 'x.yaml')}:1:1: id: app /web is already defined in ${join(apps, 'web.yaml')}:1:1; this definition is ignored`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000); // three real processes in a row: on a loaded 2-core machine they took over 20 s
});
