// What `docker build` would send: .dockerignore read with Docker's rules (patterns relative to the
// context root, `*` and `?` within a path segment, `**` across segments, a matched directory
// excludes everything below it), applied to secrets a checkout may hold and to every file git tracks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/gatehouse-process.js';

function patternRegExp(pattern: string): RegExp {
  let source = '';
  const p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      source += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += p[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const rules = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Docker's verdict: the last matching rule wins (`!` re-includes); a path is matched when it or a parent directory is. */
function ignored(path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let verdict = false;
  for (const rule of rules) {
    const negate = rule.startsWith('!');
    const re = patternRegExp(negate ? rule.slice(1) : rule);
    if (candidates.some((c) => re.test(c))) verdict = !negate;
  }
  return verdict;
}

describe('.dockerignore', () => {
  const kept_out = [
    'config/users.yaml', 'users.yaml', 'srv/users.prod.yaml',
    '.gatehouse/signing-key.pem', '.gatehouse/cluster-id', 'sub/.gatehouse/work/task/stdout',
    'keys/ci.pub.pem', 'tls/server.key', 'tls/server.crt', 'server.pem',
    'gatehouse.log', 'logs/today.log',
    'node_modules/pino/package.json', 'dist/cli/main.js', '.git/HEAD',
  ];
  for (const path of kept_out) it(`keeps ${path} out`, () => expect(ignored(path)).toBe(true));

  it('sends every file git tracks that the build and the image need', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const needed = tracked.filter(
      (f) =>
        /^(cli|core|cluster|config|dns|gateway|mesh|authn|types|bin|scripts)\//.test(f) ||
        ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'rolldown.config.mjs'].includes(f),
    );
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter(ignored)).toEqual([]);
  });
});
