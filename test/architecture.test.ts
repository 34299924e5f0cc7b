// The arrows of ARCHITECTURE.md, checked on the imports of every source file (read with a TypeScript
// parser, so `import type`, `export ... from` and `import()` all count):
// which area may import which, that a file of another area is reached only through its index.ts,
// and that no files import each other in a circle.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { importSpecifiers } from './support/import-specifiers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Area = 'core' | 'config' | 'cluster' | 'authn' | 'dns' | 'gateway' | 'mesh' | 'cli';

/** Who may import whom. Nobody lists cli: only cli wires the areas together. */
const MAY_IMPORT: Record<Area, readonly Area[]> = {
  core: [],
  config: ['core'],
  cluster: ['core', 'config'],
  authn: ['core', 'config'],
  dns: ['core', 'config', 'cluster'],
  gateway: ['core', 'config', 'cluster', 'authn'],
  mesh: ['core', 'config', 'cluster'],
  cli: ['core', 'config', 'cluster', 'authn', 'dns', 'gateway', 'mesh'],
};
const AREAS = Object.keys(MAY_IMPORT) as Area[];

/** The embedded cluster is a part of cluster/ with a surface of its own (create-source.ts loads it on demand). */
const SUB_AREA = 'cluster/local/';

/**
 * Crossings that work under way removes. Each entry must still occur (a stale entry fails too), so it
 * is deleted when that work lands.
 */
const KNOWN_CROSSINGS: ReadonlySet<string> = new Set<string>([]);
const KNOWN_CYCLES: ReadonlySet<string> = new Set<string>([]);

const MAX_LINE = 160;

type ImportGraph = ReadonlyMap<string, readonly string[]>;

function areaOf(file: string): Area | null {
  const first = file.split('/')[0] as Area;
  return AREAS.includes(first) ? first : null;
}

/** The index.ts through which other areas reach `target`. */
function surfaceOf(target: string, area: Area): string {
  return target.startsWith(SUB_AREA) ? `${SUB_AREA}index.ts` : `${area}/index.ts`;
}

/** Every import that crosses an arrow it may not, as `from -> to: why`. */
function crossings(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = areaOf(file);
    if (!from) continue;
    for (const target of targets) {
      const to = areaOf(target);
      const edge = `${file} -> ${target}`;
      if (!to) found.push(`${edge}: outside every area`);
      else if (to !== from && !MAY_IMPORT[from].includes(to)) found.push(`${edge}: ${from} may not import ${to}`);
      else if (to !== from && target !== surfaceOf(target, to)) found.push(`${edge}: bypasses ${surfaceOf(target, to)}`);
      else if (to === from && target.startsWith(SUB_AREA) && !file.startsWith(SUB_AREA) && target !== surfaceOf(target, to)) {
        found.push(`${edge}: bypasses ${SUB_AREA}index.ts`);
      }
    }
  }
  return found.sort();
}

/** Every set of files that import each other in a circle (Tarjan's strongly connected components). */
function cycles(graph: ImportGraph): string[] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (file: string): void => {
    order.set(file, order.size);
    low.set(file, order.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, order.get(next)!));
    }
    if (low.get(file) !== order.get(file)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== file);
    if (members.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(members.sort().join(' <-> '));
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return found.sort();
}

/** The import graph of every .ts file of the areas (tests and benchmarks may reach inside). */
function readGraph(): { graph: ImportGraph; unresolved: string[] } {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = posix.join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
    }
  };
  AREAS.forEach(walk);
  const graph = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const targets: string[] = [];
    for (const fileName of importSpecifiers(file, readFileSync(join(ROOT, file), 'utf8'))) {
      if (!fileName.startsWith('.')) continue; // packages and node: built-ins
      const target = relative(ROOT, join(ROOT, dirname(file), fileName)).split('\\').join('/').replace(/\.js$/, '.ts');
      if (existsSync(join(ROOT, target))) targets.push(target);
      else unresolved.push(`${file} -> ${fileName}`);
    }
    graph.set(file, targets);
  }
  return { graph, unresolved };
}

describe('the import reader', () => {
  test.each([
    { name: 'import and import type', source: "import { a } from './a.js';\nimport type { B } from './b.js';", want: ['./a.js', './b.js'] },
    { name: 'export from and export type from', source: "export { a } from './a.js';\nexport type { B } from './b.js';", want: ['./a.js', './b.js'] },
    { name: 'export * and a side-effect import', source: "export * from './a.js';\nimport './b.js';", want: ['./a.js', './b.js'] },
    { name: 'import() with a literal, not with a variable', source: "await import('./a.js');\nconst m = 'x';\nawait import(m);", want: ['./a.js'] },
    { name: 'import() in a type', source: "let s: import('./a.js').Server;\nfunction f(r: import('node:http').ServerResponse) {}", want: ['./a.js', 'node:http'] },
    { name: 'generics and casts are not imports', source: "const x = f<string>(y as unknown as Z);\nconst path = '/import/x';", want: [] },
  ])('$name', ({ source, want }) => {
    expect(importSpecifiers('case.ts', source)).toEqual(want);
  });
});

describe('the source tree', () => {
  const { graph, unresolved } = readGraph();
  const crossed = crossings(graph);
  const circles = cycles(graph);

  test('is read whole: every area has files, every relative import names a file', () => {
    for (const area of AREAS) expect([...graph.keys()].some((file) => file.startsWith(`${area}/`)), area).toBe(true);
    expect(unresolved).toEqual([]);
  });

  test('imports cross only the allowed arrows, and only through the target area\'s index.ts', () => {
    expect(crossed.filter((line) => !KNOWN_CROSSINGS.has(line.split(':')[0]!))).toEqual([]);
  });

  test('has no import cycles between files', () => {
    expect(circles.filter((circle) => !KNOWN_CYCLES.has(circle))).toEqual([]);
  });

  test(`has no line over ${MAX_LINE} characters (a statement that long is read in pieces anyway)`, () => {
    const long: string[] = [];
    for (const file of graph.keys()) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.length > MAX_LINE) long.push(`${file}:${i + 1} (${line.length})`);
        });
    }
    expect(long).toEqual([]);
  });

  test('every known exception still occurs (delete the entry when its work lands)', () => {
    expect([...KNOWN_CROSSINGS].filter((edge) => !crossed.some((line) => line.startsWith(`${edge}:`)))).toEqual([]);
    expect([...KNOWN_CYCLES].filter((circle) => !circles.includes(circle))).toEqual([]);
  });
});

describe('the checker finds each kind of bad import', () => {
  const cases: { name: string; graph: Record<string, string[]>; crossings?: string[]; cycles?: string[] }[] = [
    {
      name: 'core importing config',
      graph: { 'core/a.ts': ['config/index.ts'] },
      crossings: ['core/a.ts -> config/index.ts: core may not import config'],
    },
    {
      name: 'config importing cluster',
      graph: { 'config/a.ts': ['cluster/index.ts'] },
      crossings: ['config/a.ts -> cluster/index.ts: config may not import cluster'],
    },
    {
      name: 'cluster importing dns',
      graph: { 'cluster/a.ts': ['dns/index.ts'] },
      crossings: ['cluster/a.ts -> dns/index.ts: cluster may not import dns'],
    },
    {
      name: 'cluster/local importing gateway',
      graph: { 'cluster/local/a.ts': ['gateway/index.ts'] },
      crossings: ['cluster/local/a.ts -> gateway/index.ts: cluster may not import gateway'],
    },
    {
      name: 'authn importing cluster',
      graph: { 'authn/a.ts': ['cluster/index.ts'] },
      crossings: ['authn/a.ts -> cluster/index.ts: authn may not import cluster'],
    },
    {
      name: 'authn importing gateway',
      graph: { 'authn/a.ts': ['gateway/index.ts'] },
      crossings: ['authn/a.ts -> gateway/index.ts: authn may not import gateway'],
    },
    {
      name: 'dns importing gateway',
      graph: { 'dns/a.ts': ['gateway/index.ts'] },
      crossings: ['dns/a.ts -> gateway/index.ts: dns may not import gateway'],
    },
    {
      name: 'mesh importing dns',
      graph: { 'mesh/a.ts': ['dns/index.ts'] },
      crossings: ['mesh/a.ts -> dns/index.ts: mesh may not import dns'],
    },
    {
      name: 'gateway importing mesh',
      graph: { 'gateway/a.ts': ['mesh/index.ts'] },
      crossings: ['gateway/a.ts -> mesh/index.ts: gateway may not import mesh'],
    },
    {
      name: 'gateway importing dns',
      graph: { 'gateway/a.ts': ['dns/index.ts'] },
      crossings: ['gateway/a.ts -> dns/index.ts: gateway may not import dns'],
    },
    {
      name: 'anything but cli importing cli',
      graph: { 'gateway/a.ts': ['cli/version.ts'] },
      crossings: ['gateway/a.ts -> cli/version.ts: gateway may not import cli'],
    },
    {
      name: 'an import around an index.ts',
      graph: { 'dns/a.ts': ['cluster/store.ts'] },
      crossings: ['dns/a.ts -> cluster/store.ts: bypasses cluster/index.ts'],
    },
    {
      name: 'an import around cluster/local/index.ts',
      graph: { 'cluster/a.ts': ['cluster/local/master/master.ts'] },
      crossings: ['cluster/a.ts -> cluster/local/master/master.ts: bypasses cluster/local/index.ts'],
    },
    {
      name: 'an import outside every area',
      graph: { 'dns/a.ts': ['test/support/dig.ts'] },
      crossings: ['dns/a.ts -> test/support/dig.ts: outside every area'],
    },
    {
      name: 'allowed arrows through index.ts',
      graph: {
        'cli/a.ts': ['gateway/index.ts', 'cluster/local/index.ts'],
        'gateway/a.ts': ['authn/index.ts', 'cluster/index.ts'],
        'cluster/local/a.ts': ['cluster/store.ts'],
      },
      crossings: [],
      cycles: [],
    },
    {
      name: 'two files importing each other',
      graph: { 'dns/a.ts': ['dns/b.ts'], 'dns/b.ts': ['dns/a.ts'] },
      cycles: ['dns/a.ts <-> dns/b.ts'],
    },
    {
      name: 'a circle of three',
      graph: { 'dns/a.ts': ['dns/b.ts'], 'dns/b.ts': ['dns/c.ts'], 'dns/c.ts': ['dns/a.ts', 'dns/d.ts'], 'dns/d.ts': [] },
      cycles: ['dns/a.ts <-> dns/b.ts <-> dns/c.ts'],
    },
  ];
  test.each(cases)('$name', ({ graph, crossings: wantCrossings, cycles: wantCycles }) => {
    const map = new Map(Object.entries(graph));
    if (wantCrossings) expect(crossings(map)).toEqual(wantCrossings);
    if (wantCycles) expect(cycles(map)).toEqual(wantCycles);
  });
});
