// App files: Marathon's app format with defaults, groups and old-style ports; every problem with its
// position; Marathon keys that cannot work on one machine refused with the reason.
import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../../config/index.js';
import { parseAppFile, resolveId } from '../../../cluster/local/app-file.js';

const problems = (text: string, file = 'a.yaml'): string[] => parseAppFile(text, file).problems.map(formatProblem);

describe('definitions', () => {
  test('Marathon defaults for what the file leaves out', () => {
    const { apps, problems: found } = parseAppFile('id: web\ncmd: ./run\n', 'a.yaml');
    expect(found).toEqual([]);
    expect(apps[0]).toMatchObject({
      id: '/web', cmd: './run', args: null, instances: 1, cpus: 1, mem: 128, disk: 0, requirePorts: false, labels: {}, env: {}, healthChecks: [],
      portDefinitions: [{ port: 0, name: null, protocol: 'tcp', labels: {} }], backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 300, killGracePeriodSeconds: 3,
      source: { file: 'a.yaml', line: 1, col: 1 },
    });
  });

  test('everything given is kept, health checks get Marathon defaults', () => {
    const { apps } = parseAppFile(`
id: /grp/api
args: [node, server.js, --port, "$PORT0"]
instances: 3
cpus: 0.5
mem: 256
disk: 10
portDefinitions: [{ port: 0, name: http, labels: { VIP_0: "1.2.3.4:80" } }, { port: 0, name: metrics, protocol: udp }]
labels: { DCOS_SERVICE_NAME: api }
env: { MODE: prod }
healthChecks:
  - { protocol: MESOS_HTTP, path: /ready, portIndex: 1 }
  - { protocol: COMMAND, command: { value: "test -f ok" } }
taskKillGracePeriodSeconds: 10
`, 'a.yaml');
    expect(apps[0]).toMatchObject({ id: '/grp/api', cmd: null, args: ['node', 'server.js', '--port', '$PORT0'], instances: 3, cpus: 0.5, mem: 256, disk: 10, killGracePeriodSeconds: 10, env: { MODE: 'prod' }, labels: { DCOS_SERVICE_NAME: 'api' } });
    expect(apps[0]!.portDefinitions).toEqual([{ port: 0, name: 'http', protocol: 'tcp', labels: { VIP_0: '1.2.3.4:80' } }, { port: 0, name: 'metrics', protocol: 'udp', labels: {} }]);
    expect(apps[0]!.healthChecks).toEqual([
      { protocol: 'HTTP', path: '/ready', portIndex: 1, command: null, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, ignoreHttp1xx: false },
      { protocol: 'COMMAND', path: '/', portIndex: 0, command: 'test -f ok', gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, ignoreHttp1xx: false },
    ]);
  });

  test('a group file resolves relative ids against its id', () => {
    const { apps } = parseAppFile('id: /shop\napps:\n  - { id: web, cmd: a }\n  - { id: ../admin, cmd: b }\n  - { id: /abs/db, cmd: c }\n', 'g.yaml');
    expect(apps.map((a) => a.id)).toEqual(['/shop/web', '/admin', '/abs/db']);
    expect(apps[1]!.source).toEqual({ file: 'g.yaml', line: 4, col: 5 });
  });

  test('JSON files, as Marathon takes them', () => {
    const { apps } = parseAppFile('{"id": "/json", "cmd": "sleep 1", "ports": [0, 0], "instances": 2}', 'a.json');
    expect(apps[0]!.portDefinitions.map((p) => p.port)).toEqual([0, 0]);
  });

  test('the version changes with the definition and only with it', () => {
    const v = (text: string): string => parseAppFile(text, 'a.yaml').apps[0]!.version;
    expect(v('id: a\ncmd: x\n')).toBe(v('# comment\nid: a\ncmd: x\n'));
    expect(v('id: a\ncmd: x\n')).not.toBe(v('id: a\ncmd: y\n'));
    expect(v('id: a\ncmd: x\n')).not.toBe(v('id: a\ncmd: x\ninstances: 2\n'));
  });

  test('Marathon-only tuning keys are accepted and noted', () => {
    const parsed = parseAppFile('id: a\ncmd: x\nupgradeStrategy: { minimumHealthCapacity: 1 }\n', 'a.yaml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.notes).toEqual(['a.yaml: upgradeStrategy: accepted but has no effect on the embedded cluster']);
  });
});

describe('problems, each with its position', () => {
  const table: { name: string; text: string; want: string[] }[] = [
    { name: 'no cmd or args', text: 'id: a\n', want: ['a.yaml:1:1: give exactly one of cmd (a shell command) or args (a command and its arguments)'] },
    { name: 'both cmd and args', text: 'id: a\ncmd: x\nargs: [y]\n', want: ['a.yaml:1:1: give exactly one of cmd (a shell command) or args (a command and its arguments)'] },
    { name: 'bad id', text: 'id: /Web_App\ncmd: x\n', want: ['a.yaml:1:5: id: "/Web_App" is not a Marathon app id: path segments of a-z, 0-9 and -, separated by "/" (e.g. /grp/web)'] },
    { name: 'unknown key', text: 'id: a\ncmd: x\ncommand: y\n', want: [expect.stringMatching(/^a\.yaml:3:1: command: unknown key \(allowed: id, cmd, args, /) as unknown as string] },
    { name: 'wrong type', text: 'id: a\ncmd: x\ninstances: two\n', want: ['a.yaml:3:12: instances: must be an integer, got string "two"'] },
    { name: 'container refused', text: 'id: a\ncmd: x\ncontainer: { docker: { image: nginx } }\n', want: ['a.yaml:3:1: container: the embedded cluster runs commands only (no Docker or UCR images); drop it, or use cluster.source: mesos'] },
    { name: 'requirePorts with port 0', text: 'id: a\ncmd: x\nrequirePorts: true\nportDefinitions: [{ port: 0 }]\n', want: ['a.yaml:4:19: portDefinitions[0]: requirePorts needs a fixed port number here (0 means any)'] },
    { name: 'duplicate port names', text: 'id: a\ncmd: x\nportDefinitions: [{ name: web }, { name: web }]\n', want: ['a.yaml:3:42: portDefinitions[1].name: port name "web" is used twice'] },
    { name: 'health check port out of range', text: 'id: a\ncmd: x\nhealthChecks: [{ protocol: TCP, portIndex: 1 }]\n', want: ['a.yaml:3:44: healthChecks[0].portIndex: portIndex 1 is out of range: the app has 1 port(s)'] },
    { name: 'COMMAND check without command', text: 'id: a\ncmd: x\nhealthChecks: [{ protocol: COMMAND }]\n', want: ['a.yaml:3:16: healthChecks[0]: a COMMAND health check needs command: { value: "..." }'] },
    { name: 'env value not a string', text: 'id: a\ncmd: x\nenv: { SECRET: { secret: db } }\n', want: ['a.yaml:3:16: env.SECRET: must be a string, got a mapping'] },
    { name: 'group app with a problem points into the list', text: 'apps:\n  - { id: a, cmd: x }\n  - { id: b, cmd: x, cpus: -1 }\n', want: ['a.yaml:3:28: apps[1].cpus: must be > 0, got number -1'] },
    { name: 'same id twice in one file', text: 'apps:\n  - { id: a, cmd: x }\n  - { id: a, cmd: y }\n', want: ['a.yaml:1:1: app /a is declared twice in this file'] },
    { name: 'not a mapping', text: '- a\n', want: ['a.yaml:1:1: an app file holds one Marathon app (a mapping with id and cmd) or a group ({ id, apps: [...] })'] },
    { name: 'YAML syntax', text: 'id: [a\n', want: [expect.stringMatching(/^a\.yaml:2:1: /) as unknown as string] },
  ];
  for (const c of table) test(c.name, () => expect(problems(c.text)).toEqual(c.want));
  test('a file with a problem yields no apps', () => expect(parseAppFile('apps:\n  - { id: a, cmd: x }\n  - { id: b }\n', 'a.yaml').apps).toEqual([]));
});

describe('ids', () => {
  const table: [string, string, string | null][] = [['web', '/', '/web'], ['/grp/web/', '/', '/grp/web'], ['web', '/grp', '/grp/web'], ['./web', '/grp', '/grp/web'], ['../web', '/grp/sub', '/grp/web'], ['..', '/', null], ['/a.b/c', '/', '/a.b/c'], ['/-a', '/', null], ['/A', '/', null], ['/a_b', '/', null]];
  for (const [id, group, want] of table) test(`${id} in ${group}`, () => expect(resolveId(id, group)).toBe(want));
});
