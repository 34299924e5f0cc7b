// A fresh clone, alone in an empty folder, must test green: nothing the tests, benchmarks, scripts or
// the README use may live beside the repository. This guard fails on any such reference.
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesToGuard, outsideReferences, readText } from './support/outside-paths.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const up = (levels: number, rest: string) => `${'../'.repeat(levels)}${rest}`;

describe('no file refers to a path outside the repository', () => {
  const files = filesToGuard(ROOT, ['test', 'bench', 'scripts']);
  it('looks at the README, the tests, the benchmarks and the scripts', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('test/support/fixtures.ts');
    expect(files.some((f) => f.startsWith('bench/'))).toBe(true);
    expect(files.some((f) => f.startsWith('scripts/'))).toBe(true);
  });
  it('finds none', () => {
    expect(files.flatMap((file) => outsideReferences(readText(ROOT, file), file, ROOT))).toEqual([]);
  });
});

describe('what counts as a reference outside', () => {
  // The paths are assembled so that this file itself holds none of them.
  const cases: { name: string; file: string; text: string; outside: string[] }[] = [
    {
      name: 'a fixture beside the checkout, from test/support',
      file: 'test/support/x.ts',
      text: `new URL('${up(3, 'elsewhere/fixtures/a.json')}', import.meta.url)`,
      outside: [up(3, 'elsewhere/fixtures/a.json')],
    },
    {
      name: 'an import inside the repository',
      file: 'test/dns/x.test.ts',
      text: `import { a } from '${up(2, 'dns/index.js')}';`,
      outside: [],
    },
    {
      name: 'a README link beside the checkout',
      file: 'README.md',
      text: `see (${up(1, 'notes/dns.md')}) and \`${up(1, 'other-checkout')}\``,
      outside: [up(1, 'notes/dns.md'), up(1, 'other-checkout')],
    },
    // Whatever the checkout's folder is called: leaving and re-entering it ties the path to that name.
    {
      name: 'a relative path that climbs out and back in is still outside',
      file: 'bench/x.mjs',
      text: `'${up(2, `${basename(ROOT)}/dist/a.js`)}'`,
      outside: [up(2, `${basename(ROOT)}/dist/a.js`)],
    },
    {
      name: 'a climb that stays inside (test/dns to config)',
      file: 'test/dns/x.test.ts',
      text: `'${up(2, 'config/sample-state.json')}'`,
      outside: [],
    },
    {
      name: 'a dot-dot inside a URL path is not a file reference',
      file: 'test/gateway/x.test.ts',
      text: "route('/service/a/../../mesos/')",
      outside: [],
    },
    {
      name: 'a shell argument in a script',
      file: 'scripts/x.sh',
      text: `cp state.json ${up(2, 'elsewhere')}`,
      outside: [up(2, 'elsewhere')],
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(outsideReferences(c.text, c.file, ROOT).map((r) => r.path)).toEqual(c.outside));
  }
});
