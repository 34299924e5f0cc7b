// The route table's decision on its own: which file route a path goes to (the longest prefix, the
// prefix without its slash, never a path that only starts like one), and the table a gateway worker
// is fed (a newer generation replaces it, an older or equal one is ignored, listeners hear each
// change). Reading and watching the files is in route-files.test.ts and the end-to-end tests.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RouteTable, type FileRoute, type RouteFileStatus } from '../../gateway/index.js';

const route = (name: string, path: string): FileRoute => ({
  name, path, to: [new URL('http://127.0.0.1:9000')], service: null, stripPrefix: true, auth: 'required', allow: null, timeoutMs: 1000, file: `${name}.yaml`,
});
const file = (name: string, routes: FileRoute[]): RouteFileStatus => ({ file: `routes.d/${name}.yaml`, status: 'ok', errors: [], routes });
const table = () => new RouteTable({ dir: '/nonexistent', logger: pino({ level: 'silent' }), registry: new Registry() });

describe('RouteTable.match', () => {
  // Shorter prefixes listed first, and in another file: the longest still wins.
  const routes = table();
  routes.apply([file('a', [route('app', '/app/'), route('x', '/x/')]), file('b', [route('app-api', '/app/api/'), route('app-api-v2', '/app/api/v2/')])], 1);
  const cases: [string, string, string | null][] = [
    ['a path under a prefix', '/app/page', 'app'],
    ['the longest prefix, from another file', '/app/api/users', 'app-api'],
    ['the longest of three', '/app/api/v2/users', 'app-api-v2'],
    ['the prefix itself', '/app/api/', 'app-api'],
    ['the prefix without its slash', '/app/api', 'app-api'],
    ['a path that only starts like a prefix', '/application', null],
    ['a path that only starts like the longer prefix', '/app/apis', 'app'],
    ['no route', '/other/', null],
    ['the root', '/', null],
  ];
  for (const [name, path, want] of cases) it(`${name}: ${path} -> ${want ?? 'none'}`, () => expect(routes.match(path)?.name ?? null).toBe(want));

  it('an empty table matches nothing', () => expect(table().match('/app/')).toBeNull());
});

describe("RouteTable.apply (a worker's table, fed by the primary)", () => {
  it('a newer generation replaces the table; an older or equal one is ignored; listeners hear each change until unsubscribed', () => {
    const routes = table();
    const heard: [string[], number][] = [];
    const unsubscribe = routes.subscribe((files, generation) => heard.push([files.map((f) => f.file), generation]));
    routes.apply([file('a', [route('app', '/app/')])], 3);
    routes.apply([file('b', [route('old', '/old/')])], 2);
    routes.apply([file('c', [route('same', '/same/')])], 3);
    expect([routes.generation, routes.match('/app/x')?.name, routes.match('/old/x'), routes.match('/same/x')]).toEqual([3, 'app', null, null]);
    expect(routes.files().map((f) => f.file)).toEqual(['routes.d/a.yaml']);
    routes.apply([file('d', [route('new', '/new/')])], 4);
    expect([routes.match('/app/x'), routes.match('/new/x')?.name]).toEqual([null, 'new']);
    unsubscribe();
    routes.apply([file('e', [])], 5);
    expect(heard).toEqual([
      [['routes.d/a.yaml'], 3],
      [['routes.d/d.yaml'], 4],
    ]);
  });
});
