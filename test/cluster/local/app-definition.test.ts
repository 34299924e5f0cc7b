// App definition files: Marathon's defaults, groups and ids, old-style ports, JSON, every validation
// error at its exact file:line:col, and the Marathon keys the embedded cluster does not implement.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatAppProblem, parseAppFile, resolveId, type AppDefinition } from '../../../cluster/local/apps/app-definition.js';

const F = '/apps/a.yaml';
const parse = (text: string, file = F) => parseAppFile(text, file);
const lines = (text: string, file = F) => parse(text, file).problems.map(formatAppProblem);
const only = (text: string): AppDefinition => {
  const { apps, problems } = parse(text);
  expect(problems.map(formatAppProblem)).toEqual([]);
  expect(apps).toHaveLength(1);
  return apps[0]!;
};
const y = (...rows: string[]) => `${rows.join('\n')}\n`;

describe('defaults (Marathon)', () => {
  it('a minimal app gets every default', () => {
    const app = only(y('id: web', 'cmd: python3 -m http.server $PORT0'));
    expect(app).toEqual({
      id: '/web',
      cmd: 'python3 -m http.server $PORT0',
      args: null,
      instances: 1,
      cpus: 1,
      mem: 128,
      disk: 0,
      portDefinitions: [{ port: 0, name: null, protocol: 'tcp', labels: {} }],
      requirePorts: false,
      labels: {},
      env: {},
      healthChecks: [],
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      killGracePeriodSeconds: 3,
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
      source: { file: F, line: 1, col: 1 },
    });
    expect(Object.isFrozen(app) && Object.isFrozen(app.portDefinitions[0]) && Object.isFrozen(app.env)).toBe(true);
  });

  it('a health check gets every default; MESOS_ protocols map to ours', () => {
    const app = only(
      y(
        'id: web',
        'cmd: x',
        'healthChecks:',
        '  - {}',
        '  - protocol: MESOS_TCP',
        '  - protocol: COMMAND',
        '    command: { value: "curl -f localhost:$PORT0" }',
      ),
    );
    expect(app.healthChecks).toEqual([
      {
        protocol: 'HTTP',
        path: '/',
        portIndex: 0,
        command: null,
        gracePeriodSeconds: 300,
        intervalSeconds: 60,
        timeoutSeconds: 20,
        maxConsecutiveFailures: 3,
        ignoreHttp1xx: false,
      },
      expect.objectContaining({ protocol: 'TCP', portIndex: 0 }),
      expect.objectContaining({ protocol: 'COMMAND', command: 'curl -f localhost:$PORT0' }),
    ]);
  });

  it('every key given is kept', () => {
    const app = only(
      y(
        'id: /tools/web',
        'args: [python3, -m, http.server]',
        'instances: 0',
        'cpus: 0.25',
        'mem: 64',
        'disk: 10',
        'portDefinitions:',
        '  - { port: 8081, name: http, protocol: tcp, labels: { VIP_0: "/web:80" } }',
        '  - { port: 8082, name: dns, protocol: "udp,tcp" }',
        'requirePorts: true',
        'labels: { DCOS_SERVICE_NAME: web }',
        'env: { MODE: "prod" }',
        'healthChecks:',
        '  - { protocol: MESOS_HTTPS, path: /health, portIndex: 1, gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 0, ignoreHttp1xx: true }',
        'backoffSeconds: 2',
        'backoffFactor: 1',
        'maxLaunchDelaySeconds: 30',
        'taskKillGracePeriodSeconds: 10',
      ),
    );
    expect(app).toMatchObject({
      id: '/tools/web',
      cmd: null,
      args: ['python3', '-m', 'http.server'],
      instances: 0,
      cpus: 0.25,
      mem: 64,
      disk: 10,
      portDefinitions: [
        { port: 8081, name: 'http', protocol: 'tcp', labels: { VIP_0: '/web:80' } },
        { port: 8082, name: 'dns', protocol: 'udp,tcp', labels: {} },
      ],
      requirePorts: true,
      labels: { DCOS_SERVICE_NAME: 'web' },
      env: { MODE: 'prod' },
      healthChecks: [
        {
          protocol: 'HTTPS',
          path: '/health',
          portIndex: 1,
          command: null,
          gracePeriodSeconds: 5,
          intervalSeconds: 2,
          timeoutSeconds: 1,
          maxConsecutiveFailures: 0,
          ignoreHttp1xx: true,
        },
      ],
      backoffSeconds: 2,
      backoffFactor: 1,
      maxLaunchDelaySeconds: 30,
      killGracePeriodSeconds: 10,
    });
  });
});

describe('ports', () => {
  const table: { name: string; text: string; ports: unknown[] }[] = [
    { name: 'no ports key: one port, any', text: y('id: a', 'cmd: x'), ports: [{ port: 0, name: null, protocol: 'tcp', labels: {} }] },
    { name: 'portDefinitions: [] means no ports', text: y('id: a', 'cmd: x', 'portDefinitions: []'), ports: [] },
    {
      name: 'old style ports: [..]',
      text: y('id: a', 'cmd: x', 'ports: [0, 8080]'),
      ports: [
        { port: 0, name: null, protocol: 'tcp', labels: {} },
        { port: 8080, name: null, protocol: 'tcp', labels: {} },
      ],
    },
    { name: 'old style ports: [] means no ports', text: y('id: a', 'cmd: x', 'ports: []'), ports: [] },
    {
      name: 'several any-ports are fine',
      text: y('id: a', 'cmd: x', 'portDefinitions: [{port: 0}, {}]'),
      ports: [expect.objectContaining({ port: 0 }), expect.objectContaining({ port: 0 })],
    },
  ];
  it.each(table)('$name', ({ text, ports }) => expect(only(text).portDefinitions).toEqual(ports));
});

describe('ids and groups', () => {
  const table: { name: string; text: string; ids: string[] }[] = [
    { name: 'a leading / is added', text: y('id: web', 'cmd: x'), ids: ['/web'] },
    { name: 'a trailing / is dropped', text: y('id: /grp/web/', 'cmd: x'), ids: ['/grp/web'] },
    { name: 'dotted segments (Marathon allows them)', text: y('id: /my.grp/web-1', 'cmd: x'), ids: ['/my.grp/web-1'] },
    { name: 'group without id: the root', text: y('apps:', '  - { id: a, cmd: x }', '  - { id: /b/c, cmd: x }'), ids: ['/a', '/b/c'] },
    {
      name: 'group id: relative app ids resolve against it',
      text: y('id: /grp', 'apps:', '  - { id: a, cmd: x }', '  - { id: sub/b, cmd: x }', '  - { id: /grp/c, cmd: x }'),
      ids: ['/grp/a', '/grp/sub/b', '/grp/c'],
    },
    { name: 'relative group id', text: y('id: grp', 'apps:', '  - { id: a, cmd: x }'), ids: ['/grp/a'] },
    {
      name: '. and .. in relative ids',
      text: y('id: /grp/sub', 'apps:', '  - { id: ./a, cmd: x }', '  - { id: ../b, cmd: x }'),
      ids: ['/grp/sub/a', '/grp/b'],
    },
    { name: 'empty group', text: y('id: /grp', 'apps: []'), ids: [] },
  ];
  it.each(table)('$name', ({ text, ids }) => {
    const { apps, problems } = parse(text);
    expect(problems).toEqual([]);
    expect(apps.map((a) => a.id)).toEqual(ids);
  });

  it('an app in a group points at its own position', () => {
    const { apps } = parse(y('id: /grp', 'apps:', '  - id: a', '    cmd: x', '  - id: b', '    cmd: x'));
    expect(apps.map((a) => a.source)).toEqual([
      { file: F, line: 3, col: 5 },
      { file: F, line: 5, col: 5 },
    ]);
  });

  it('resolveId follows Marathon', () => {
    expect(resolveId('a/../b', '/', true)).toEqual({ id: '/b' });
    expect(resolveId('..', '/', false)).toEqual({ error: '".." goes above the root group' });
  });
});

describe('JSON files (parsed as YAML, same positions)', () => {
  it('one app', () => {
    const app = only('{\n  "id": "/web",\n  "cmd": "x",\n  "env": {"A": "1"}\n}\n');
    expect(app).toMatchObject({ id: '/web', env: { A: '1' }, source: { line: 1, col: 1 } });
  });
  it('a group, with errors at their line:col', () => {
    const text = '{\n  "id": "/grp",\n  "apps": [\n    {"id": "a", "cmd": "x", "instances": "2"}\n  ]\n}\n';
    expect(lines(text, '/apps/g.json')).toEqual(['/apps/g.json:4:42: apps[0].instances: must be an integer, got string "2"']);
  });
});

describe('validation errors, each at its file:line:col', () => {
  const ALLOWED =
    'id, cmd, args, instances, cpus, mem, disk, ports, portDefinitions, requirePorts, labels, env, healthChecks, backoffSeconds, backoffFactor, maxLaunchDelaySeconds, taskKillGracePeriodSeconds';
  const table: { name: string; text: string; problems: string[] }[] = [
    {
      name: 'YAML syntax',
      text: y('id: a', 'cmd: [x'),
      problems: [expect.stringMatching(/^\/apps\/a\.yaml:\d+:\d+: /) as unknown as string],
    },
    {
      name: 'duplicate key',
      text: y('id: a', 'cmd: x', 'cmd: y'),
      problems: [expect.stringMatching(/^\/apps\/a\.yaml:3:1: .*unique/) as unknown as string],
    },
    {
      name: 'empty file',
      text: '',
      problems: [`${F}:1:1: the file is empty: expected one app (id, cmd, ...) or a group { id: /grp, apps: [...] }`],
    },
    {
      name: 'a list at the top',
      text: y('- id: a'),
      problems: [`${F}:1:1: got a list: expected one app (id, cmd, ...) or a group { id: /grp, apps: [...] }`],
    },
    { name: 'id missing', text: y('cmd: x'), problems: [`${F}:1:1: missing required key "id"`] },
    { name: 'id not a string', text: y('id: 12', 'cmd: x'), problems: [`${F}:1:5: id: must be a string, got number 12`] },
    {
      name: 'id with upper case and _',
      text: y('id: /grp/Web_App', 'cmd: x'),
      problems: [
        `${F}:1:5: id: "/grp/Web_App": segment "Web_App" is not valid; use lower-case letters, digits and "-" (dots between labels), starting and ending with a letter or digit`,
      ],
    },
    {
      name: 'id segment ending in -',
      text: y('cmd: x', 'id: web-'),
      problems: [
        `${F}:2:5: id: "web-": segment "web-" is not valid; use lower-case letters, digits and "-" (dots between labels), starting and ending with a letter or digit`,
      ],
    },
    { name: 'id is the root', text: y('id: /', 'cmd: x'), problems: [`${F}:1:5: id: "/" names the root group, not an app`] },
    { name: 'id above the root', text: y('id: ../a', 'cmd: x'), problems: [`${F}:1:5: id: "../a" goes above the root group`] },
    {
      name: 'neither cmd nor args',
      text: y('id: a', 'instances: 1'),
      problems: [`${F}:1:1: give exactly one of cmd (a shell command) or args (a program and its arguments)`],
    },
    {
      name: 'both cmd and args',
      text: y('id: a', 'cmd: x', 'args: [x]'),
      problems: [`${F}:1:1: give exactly one of cmd (a shell command) or args (a program and its arguments)`],
    },
    { name: 'args empty', text: y('id: a', 'args: []'), problems: [`${F}:2:7: args: must NOT have fewer than 1 items, got a list`] },
    {
      name: 'instances not an integer',
      text: y('id: a', 'cmd: x', 'instances: 1.5'),
      problems: [`${F}:3:12: instances: must be an integer, got number 1.5`],
    },
    {
      name: 'instances negative',
      text: y('id: a', 'cmd: x', 'instances: -1'),
      problems: [`${F}:3:12: instances: must be >= 0, got number -1`],
    },
    { name: 'cpus zero', text: y('id: a', 'cmd: x', 'cpus: 0'), problems: [`${F}:3:7: cpus: must be > 0, got number 0`] },
    { name: 'mem a string', text: y('id: a', 'cmd: x', 'mem: 1G'), problems: [`${F}:3:6: mem: must be a number, got string "1G"`] },
    {
      name: 'backoffFactor below 1',
      text: y('id: a', 'cmd: x', 'backoffFactor: 0.5'),
      problems: [`${F}:3:16: backoffFactor: must be >= 1, got number 0.5`],
    },
    { name: 'unknown key', text: y('id: a', 'cmd: x', 'comand: y'), problems: [`${F}:3:1: comand: unknown key (allowed: ${ALLOWED})`] },
    {
      name: 'port above 65535',
      text: y('id: a', 'cmd: x', 'portDefinitions:', '  - port: 70000'),
      problems: [`${F}:4:11: portDefinitions[0].port: must be <= 65535, got number 70000`],
    },
    {
      name: 'old style port negative',
      text: y('id: a', 'cmd: x', 'ports: [80, -1]'),
      problems: [`${F}:3:13: ports[1]: must be >= 0, got number -1`],
    },
    {
      name: 'ports and portDefinitions both',
      text: y('id: a', 'cmd: x', 'ports: [80]', 'portDefinitions: [{port: 81}]'),
      problems: [`${F}:3:8: ports: give either ports (the old style) or portDefinitions, not both`],
    },
    {
      name: 'requirePorts with port 0',
      text: y('id: a', 'cmd: x', 'requirePorts: true', 'portDefinitions:', '  - port: 8080', '  - port: 0'),
      problems: [`${F}:6:11: portDefinitions[1].port: requirePorts: true needs a fixed port here (0 means "any free port")`],
    },
    {
      name: 'requirePorts with an unnamed port',
      text: y('id: a', 'cmd: x', 'requirePorts: true', 'portDefinitions: [{name: http}]'),
      problems: [`${F}:4:19: portDefinitions[0].port: requirePorts: true needs a fixed port here (0 means "any free port")`],
    },
    {
      name: 'requirePorts with old style port 0',
      text: y('id: a', 'cmd: x', 'requirePorts: true', 'ports: [0]'),
      problems: [`${F}:4:9: ports[0]: requirePorts: true needs a fixed port here (0 means "any free port")`],
    },
    {
      name: 'requirePorts with the default port',
      text: y('id: a', 'cmd: x', 'requirePorts: true'),
      problems: [`${F}:3:15: requirePorts: requirePorts: true needs fixed ports; give portDefinitions with non-zero ports`],
    },
    {
      name: 'duplicate port names',
      text: y('id: a', 'cmd: x', 'portDefinitions:', '  - { name: http }', '  - { name: http }'),
      problems: [`${F}:5:13: portDefinitions[1].name: port name "http" is already used by portDefinitions[0]`],
    },
    {
      name: 'duplicate port numbers',
      text: y('id: a', 'cmd: x', 'ports: [8080, 8080]'),
      problems: [`${F}:3:15: ports[1]: port 8080 is already used by ports[0]`],
    },
    {
      name: 'port name not a DNS label',
      text: y('id: a', 'cmd: x', 'portDefinitions: [{name: HTTP}]'),
      problems: [`${F}:3:26: portDefinitions[0].name: must match pattern "^[a-z0-9-]+$", got string "HTTP"`],
    },
    {
      name: 'port protocol unknown',
      text: y('id: a', 'cmd: x', 'portDefinitions: [{protocol: sctp}]'),
      problems: [`${F}:3:30: portDefinitions[0].protocol: must be one of tcp, udp, udp,tcp, got string "sctp"`],
    },
    {
      name: 'health check portIndex past the ports',
      text: y('id: a', 'cmd: x', 'ports: [0, 0]', 'healthChecks:', '  - protocol: HTTP', '    portIndex: 2'),
      problems: [`${F}:6:16: healthChecks[0].portIndex: portIndex 2 is out of range: the app has 2 ports (0..1)`],
    },
    {
      name: 'health check on an app without ports',
      text: y('id: a', 'cmd: x', 'portDefinitions: []', 'healthChecks:', '  - protocol: TCP'),
      problems: [`${F}:5:5: healthChecks[0]: the app has no ports (portDefinitions: []), a TCP check needs one`],
    },
    {
      name: 'COMMAND check without a command',
      text: y('id: a', 'cmd: x', 'healthChecks: [{protocol: COMMAND}]'),
      problems: [`${F}:3:16: healthChecks[0]: a COMMAND check needs command: { value: "..." }`],
    },
    {
      name: 'command on an HTTP check',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - command: { value: "true" }'),
      problems: [`${F}:4:14: healthChecks[0].command: command applies to COMMAND checks only, this one is HTTP (the default)`],
    },
    {
      name: 'path on a TCP check',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - protocol: TCP', '    path: /x'),
      problems: [`${F}:5:11: healthChecks[0].path: path applies to HTTP and HTTPS checks only, this one is TCP`],
    },
    {
      name: 'health check protocol unknown',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - protocol: GRPC'),
      problems: [
        `${F}:4:15: healthChecks[0].protocol: must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP, got string "GRPC"`,
      ],
    },
    {
      name: 'health check interval 0',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - intervalSeconds: 0'),
      problems: [`${F}:4:22: healthChecks[0].intervalSeconds: must be >= 1, got number 0`],
    },
    {
      name: 'health check fixed port',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - port: 8080'),
      problems: [`${F}:4:5: healthChecks[0].port: a fixed health check port is not supported; use portIndex`],
    },
    {
      name: 'env value a number',
      text: y('id: a', 'cmd: x', 'env:', '  PORT: 8080'),
      problems: [`${F}:4:9: env.PORT: must be a string, got number 8080 (quote it: "8080")`],
    },
    {
      name: 'env secret reference',
      text: y('id: a', 'cmd: x', 'env:', '  DB_PASSWORD: { secret: db }'),
      problems: [
        `${F}:4:16: env.DB_PASSWORD: secret references are not supported (the embedded cluster has no secret store); give the value itself`,
      ],
    },
    {
      name: 'label value a boolean',
      text: y('id: a', 'cmd: x', 'labels: { PUBLIC: true }'),
      problems: [`${F}:3:19: labels.PUBLIC: must be a string, got boolean true (quote it: "true")`],
    },
    {
      name: 'port label a list',
      text: y('id: a', 'cmd: x', 'portDefinitions: [{labels: {A: [1]}}]'),
      problems: [`${F}:3:32: portDefinitions[0].labels.A: must be a string, got a list`],
    },
    {
      name: 'group: app outside the group',
      text: y('id: /grp', 'apps:', '  - { id: /other/a, cmd: x }'),
      problems: [`${F}:3:11: apps[0].id: "/other/a" is not inside the group /grp; use a relative id or one under /grp/`],
    },
    {
      name: 'group: the same id twice',
      text: y('apps:', '  - { id: a, cmd: x }', '  - { id: /a, cmd: y }'),
      problems: [`${F}:3:11: apps[1].id: app /a is already defined in this file at apps[0]`],
    },
    {
      name: 'group: bad group id',
      text: y('id: /Grp', 'apps: []'),
      problems: [
        `${F}:1:5: id: "/Grp": segment "Grp" is not valid; use lower-case letters, digits and "-" (dots between labels), starting and ending with a letter or digit`,
      ],
    },
    { name: 'group: apps not a list', text: y('apps: { id: a }'), problems: [`${F}:1:7: apps: must be a list, got a mapping`] },
    { name: 'group: unknown key', text: y('apps: []', 'name: x'), problems: [`${F}:2:1: name: unknown key (allowed: id, apps)`] },
    {
      name: 'group: nested groups',
      text: y('apps: []', 'groups: []'),
      problems: [`${F}:2:1: groups: nested groups are not supported in one file; put each group in its own file with its own id`],
    },
    {
      name: 'group: errors in two apps, each with its path',
      text: y('apps:', '  - id: a', '    cmd: x', '    healthChecks: [{portIndex: 1}]', '  - id: b', '    cmd: x', '    mem: -1'),
      problems: [
        `${F}:4:32: apps[0].healthChecks[0].portIndex: portIndex 1 is out of range: the app has 1 port (0..0)`,
        `${F}:7:10: apps[1].mem: must be >= 0, got number -1`,
      ],
    },
  ];
  it.each(table)('$name', ({ text, problems }) => {
    const result = parse(text);
    expect(result.problems.map(formatAppProblem)).toEqual(problems);
    expect(result.problems.every((p) => p.severity === 'error')).toBe(true);
    expect(result.apps).toEqual([]);
  });
});

describe('Marathon keys the embedded cluster does not implement', () => {
  const table: { name: string; text: string; problems: string[]; accepted: boolean }[] = [
    {
      name: 'container: error',
      text: y('id: a', 'cmd: x', 'container: { type: DOCKER, docker: { image: nginx } }'),
      accepted: false,
      problems: [
        `${F}:3:1: container: the embedded cluster runs commands only (no Docker/UCR images); drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'fetch: error',
      text: y('id: a', 'cmd: x', 'fetch: [{ uri: "https://x/y.tgz" }]'),
      accepted: false,
      problems: [
        `${F}:3:1: fetch: the embedded cluster does not download artifacts; put the files in place and drop it, or use cluster.source: mesos`,
      ],
    },
    {
      name: 'uris: error',
      text: y('id: a', 'cmd: x', 'uris: ["https://x/y.tgz"]'),
      accepted: false,
      problems: [
        `${F}:3:1: uris: the embedded cluster does not download artifacts; put the files in place and drop it, or use cluster.source: mesos`,
      ],
    },
    {
      name: 'user: error',
      text: y('id: a', 'cmd: x', 'user: nobody'),
      accepted: false,
      problems: [
        `${F}:3:1: user: tasks run as the user running gatehouse, the embedded cluster cannot switch users; drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'secrets: error',
      text: y('id: a', 'cmd: x', 'secrets: { s: { source: db } }'),
      accepted: false,
      problems: [`${F}:3:1: secrets: the embedded cluster has no secret store; put the values in env, or use cluster.source: mesos`],
    },
    {
      name: 'residency: error',
      text: y('id: a', 'cmd: x', 'residency: { taskLostBehavior: WAIT_FOREVER }'),
      accepted: false,
      problems: [
        `${F}:3:1: residency: persistent volumes (resident tasks) are not supported by the embedded cluster; drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'ipAddress: error',
      text: y('id: a', 'cmd: x', 'ipAddress: { networkName: dcos }'),
      accepted: false,
      problems: [
        `${F}:3:1: ipAddress: IP-per-task networking is not supported, tasks use host networking; drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'executor: error',
      text: y('id: a', 'cmd: x', 'executor: //cmd'),
      accepted: false,
      problems: [
        `${F}:3:1: executor: custom executors are not supported, tasks run under the embedded agent; drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'gpus > 0: error',
      text: y('id: a', 'cmd: x', 'gpus: 1'),
      accepted: false,
      problems: [`${F}:3:1: gpus: the embedded cluster offers no GPUs; drop it or use cluster.source: mesos`],
    },
    {
      name: 'container networks: error',
      text: y('id: a', 'cmd: x', 'networks: [{ mode: container, name: dcos }]'),
      accepted: false,
      problems: [
        `${F}:3:1: networks: only host networking is supported (tasks bind the ports they are given on this machine); drop it or use cluster.source: mesos`,
      ],
    },
    {
      name: 'empty fetch, executor "", gpus 0: warnings',
      text: y('id: a', 'cmd: x', 'fetch: []', 'executor: ""', 'gpus: 0'),
      accepted: true,
      problems: [
        `${F}:3:1: warning: fetch: ignored (empty); the embedded cluster does not download artifacts; put the files in place and drop it, or use cluster.source: mesos`,
        `${F}:4:1: warning: executor: ignored (empty); custom executors are not supported, tasks run under the embedded agent; drop it or use cluster.source: mesos`,
        `${F}:5:1: warning: gpus: ignored: the embedded cluster offers no GPUs`,
      ],
    },
    {
      name: 'host networks: warning',
      text: y('id: a', 'cmd: x', 'networks: [{ mode: host }]'),
      accepted: true,
      problems: [`${F}:3:1: warning: networks: ignored: tasks always use host networking`],
    },
    {
      name: 'placement and deployment keys: warnings',
      text: y(
        'id: a',
        'cmd: x',
        'constraints: [[hostname, UNIQUE]]',
        'acceptedResourceRoles: ["*"]',
        'upgradeStrategy: { minimumHealthCapacity: 1 }',
        'dependencies: [/db]',
        'unreachableStrategy: disabled',
        'killSelection: YOUNGEST_FIRST',
        'storeUrls: []',
        'readinessChecks: [{ name: ready }]',
      ),
      accepted: true,
      problems: [
        `${F}:3:1: warning: constraints: ignored: all agents of the embedded cluster are on this machine, placement constraints have no effect`,
        `${F}:4:1: warning: acceptedResourceRoles: ignored: the embedded cluster has no resource roles`,
        `${F}:5:1: warning: upgradeStrategy: ignored: the embedded scheduler uses its own upgrade strategy`,
        `${F}:6:1: warning: dependencies: ignored: apps are deployed without ordering between them`,
        `${F}:7:1: warning: unreachableStrategy: ignored: agents of the embedded cluster run on this machine and cannot become unreachable`,
        `${F}:8:1: warning: killSelection: ignored: the embedded scheduler chooses which tasks to kill when scaling down`,
        `${F}:9:1: warning: storeUrls: ignored: deprecated in Marathon and not used`,
        `${F}:10:1: warning: readinessChecks: ignored: readiness checks are not implemented and deployments do not wait for them; use healthChecks`,
      ],
    },
    {
      name: 'health check delaySeconds: warning',
      text: y('id: a', 'cmd: x', 'healthChecks:', '  - delaySeconds: 15'),
      accepted: true,
      problems: [`${F}:4:5: warning: healthChecks[0].delaySeconds: ignored: checks start after gracePeriodSeconds`],
    },
    {
      name: 'group dependencies: warning',
      text: y('id: /g', 'dependencies: [/db]', 'apps: [{ id: a, cmd: x }]'),
      accepted: true,
      problems: [`${F}:2:1: warning: dependencies: ignored: apps are deployed without ordering between them`],
    },
    {
      name: 'in a group, with the app path',
      text: y('apps:', '  - id: a', '    cmd: x', '    container: { docker: { image: x } }'),
      accepted: false,
      problems: [
        `${F}:4:5: apps[0].container: the embedded cluster runs commands only (no Docker/UCR images); drop it or use cluster.source: mesos`,
      ],
    },
  ];
  it.each(table)('$name', ({ text, problems, accepted }) => {
    const result = parse(text);
    expect(result.problems.map(formatAppProblem)).toEqual(problems);
    expect(result.apps.length).toBe(accepted ? 1 : 0);
  });
});

describe('version', () => {
  const base = only(y('id: a', 'cmd: x', 'env: { A: "1", B: "2" }'));
  const table: { name: string; text: string; same: boolean }[] = [
    { name: 'env keys reordered: same', text: y('id: a', 'cmd: x', 'env: { B: "2", A: "1" }'), same: true },
    {
      name: 'defaults spelled out: same',
      text: y('id: /a', 'cmd: x', 'instances: 1', 'env: { A: "1", B: "2" }', 'portDefinitions: [{ port: 0 }]'),
      same: true,
    },
    { name: 'moved down in the file: same', text: y('', '', 'id: a', 'cmd: x', 'env: { A: "1", B: "2" }'), same: true },
    { name: 'cmd changed', text: y('id: a', 'cmd: y', 'env: { A: "1", B: "2" }'), same: false },
    { name: 'env value changed', text: y('id: a', 'cmd: x', 'env: { A: "1", B: "3" }'), same: false },
    { name: 'instances changed', text: y('id: a', 'cmd: x', 'instances: 2', 'env: { A: "1", B: "2" }'), same: false },
    { name: 'health check added', text: y('id: a', 'cmd: x', 'env: { A: "1", B: "2" }', 'healthChecks: [{}]'), same: false },
  ];
  it.each(table)('$name', ({ text, same }) => expect(only(text).version === base.version).toBe(same));
});

describe('README: App files', () => {
  it('its example file is valid and means what it says', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const doc = readme.slice(readme.indexOf('### App files'));
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const { apps, problems } = parse(example, 'tools.yaml');
    expect(problems).toEqual([]);
    expect(apps).toMatchObject([
      {
        id: '/tools/web',
        instances: 2,
        portDefinitions: [{ port: 0, name: 'http' }],
        env: { PYTHONUNBUFFERED: '1' },
        healthChecks: [{ protocol: 'HTTP', gracePeriodSeconds: 30 }],
      },
      { id: '/tools/worker', args: ['/usr/local/bin/worker', '--queue', 'jobs'] },
    ]);
  });
});
