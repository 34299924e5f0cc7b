// Route files: every kind of problem at its position; quarantine keeps a broken file's last good routes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../config/index.js';
import { loadRouteFiles, normalizePath, parseRouteFile } from '../../gateway/index.js';

describe('parseRouteFile', () => {
  it('a good file: defaults applied', () => {
    const { routes, problems } = parseRouteFile('routes:\n  - name: grafana\n    path: /grafana/\n    to: http://127.0.0.1:3000\n', 'r.yaml');
    expect(problems).toEqual([]);
    expect(routes[0]).toMatchObject({ name: 'grafana', path: '/grafana/', stripPrefix: true, auth: 'required', allow: null, timeoutMs: 60_000, service: null });
    expect(routes[0]!.to.map((u) => u.href)).toEqual(['http://127.0.0.1:3000/']);
  });
  const table: { name: string; yaml: string; want: string }[] = [
    {
      name: 'unknown key',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: http://x\n    stripprefix: false\n',
      want: 'r.yaml:5:5: routes[0].stripprefix: unknown key (allowed: name, path, to, service, stripPrefix, auth, allow, timeout)',
    },
    {
      name: 'path without trailing slash',
      yaml: 'routes:\n  - name: a\n    path: /a\n    to: http://x\n',
      want: 'r.yaml:3:11: routes[0].path: "/a" must start and end with "/" (a path prefix such as /grafana/)',
    },
    {
      name: 'shadowing a built-in',
      yaml: 'routes:\n  - name: a\n    path: /service/x/\n    to: http://x\n',
      want: 'r.yaml:3:11: routes[0].path: "/service/x/" would shadow the built-in prefix /service/',
    },
    {
      name: 'the root',
      yaml: 'routes:\n  - name: a\n    path: /\n    to: http://x\n',
      want: 'r.yaml:3:11: routes[0].path: "/" would shadow the built-in pages at /',
    },
    {
      name: 'both to and service',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: http://x\n    service: y\n',
      want: 'r.yaml:2:5: routes[0]: give exactly one of to (URLs) or service (a service of the cluster)',
    },
    {
      name: 'bad URL in a list',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: [http://x, ftp://y]\n',
      want: 'r.yaml:4:20: routes[0].to[1]: "ftp://y" is not an http(s) URL',
    },
    {
      name: 'bad auth',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: http://x\n    auth: maybe\n',
      want: 'r.yaml:5:11: routes[0].auth: must be one of required, none, got string "maybe"',
    },
    {
      name: 'bad timeout',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: http://x\n    timeout: soon\n',
      want: 'r.yaml:5:14: routes[0].timeout: must be a duration such as 90s, 5m, 5d, or a number of seconds, got string "soon"',
    },
    {
      name: 'allow with auth: none (no caller to check: the route would be open to everyone)',
      yaml: 'routes:\n  - name: a\n    path: /a/\n    to: http://x\n    auth: none\n    allow: { groups: [ops] }\n',
      want: 'routes[0].allow: allow needs auth: required (with auth: none there is no caller to check, and everyone would pass)',
    },
    { name: 'YAML syntax', yaml: 'routes:\n  - name: [\n', want: 'r.yaml:3:1:' },
  ];
  for (const c of table) it(c.name, () => expect(parseRouteFile(c.yaml, 'r.yaml').problems.map(formatProblem).join('\n')).toContain(c.want));
});

describe('loadRouteFiles', () => {
  it('quarantines a broken file with its last good routes and flags duplicate paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-routes-'));
    try {
      await writeFile(join(dir, 'a.yaml'), 'routes:\n  - { name: a, path: /a/, to: "http://127.0.0.1:1" }\n');
      await writeFile(join(dir, 'b.yaml'), 'routes:\n  - { name: b, path: /b/, to: "http://127.0.0.1:2" }\n');
      const first = await loadRouteFiles(dir, new Map());
      expect([...first.values()].map((f) => f.status)).toEqual(['ok', 'ok']);
      await writeFile(join(dir, 'a.yaml'), 'routes:\n  - { name: a, path: /a }\n');
      await writeFile(join(dir, 'c.yaml'), 'routes:\n  - { name: c, path: /b/, to: "http://127.0.0.1:3" }\n');
      const second = await loadRouteFiles(dir, first);
      const a = second.get(join(dir, 'a.yaml'))!;
      expect(a.status).toBe('quarantined');
      expect(a.routes.map((r) => r.path)).toEqual(['/a/']);
      expect(a.errors.join('\n')).toContain('a.yaml:2:');
      expect(second.get(join(dir, 'b.yaml'))!.status).toBe('ok');
      expect(second.get(join(dir, 'c.yaml'))!.errors.join()).toContain('path /b/ is already routed by');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('normalizePath', () => {
  const table: [string, string][] = [
    ['/a/b', '/a/b'], ['/a//b///c/', '/a/b/c/'], ['/a/./b', '/a/b'], ['/a/b/../c', '/a/c'], ['/service/a/../../mesos/', '/mesos/'],
    ['/service/x/%2e%2e/%2E%2E/mesos/', '/mesos/'], ['/a%20b', '/a b'], ['/a/..', '/'], ['/%252e%252e/x', '/%2e%2e/x'], ['/x?y=1', '/x'],
  ];
  for (const [input, want] of table) it(`${input} → ${want}`, () => expect(normalizePath(input)).toMatchObject({ path: want }));
  const refused = ['/..', '/a/../..', '/a%2fb', '/a%5cb', '/a\\b', '/a%00', '/%E0%A4%A', 'relative', '/a%0d%0aX-Injected:%201', '/a%0Ab', '/a%09b', '/a%7f'];
  for (const input of refused) it(`refuses ${input}`, () => expect(normalizePath(input)).toHaveProperty('error'));
});
