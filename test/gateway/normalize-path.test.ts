// normalizePath and path parameters (`;`): a dot or empty segment with parameters is refused, since
// servlet containers cut the parameters and would resolve it (issue 11 item 8); a segment with a name
// of its own keeps its parameters.
import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../gateway/index.js';

describe('normalizePath: path parameters', () => {
  const refused: [string, string][] = [
    ['..; (Tomcat reads it as ..)', '/app/..;/admin'],
    ['..; with a parameter', '/app/..;jsessionid=1/admin'],
    ['.; segment', '/app/.;x/admin'],
    ['an empty segment with parameters', '/app/;x/admin'],
    ['an empty segment with parameters before ..', '/app/;x/../admin'],
    ['percent-encoded dots before ;', '/app/%2e%2e;/admin'],
    ['an encoded ; after ..', '/app/..%3B/admin'],
    ['..; as the last segment', '/app/..;'],
  ];
  for (const [name, path] of refused) {
    it(`refuses ${name}: ${path}`, () => expect(normalizePath(path)).toEqual({ error: expect.stringContaining('path parameters') }));
  }

  const kept: [string, string, string][] = [
    ['a named segment with parameters', '/app/a;jsessionid=1/b', '/app/a;jsessionid=1/b'],
    ['a parameter on the last segment', '/app/file;v=2', '/app/file;v=2'],
    ['a dot inside a named segment', '/app/a.b;x/c', '/app/a.b;x/c'],
    ['.. then a named segment with parameters', '/app/x/../a;p', '/app/a;p'],
  ];
  for (const [name, path, want] of kept) {
    it(`keeps ${name}: ${path}`, () => expect(normalizePath(path)).toEqual({ path: want, search: '' }));
  }
});
