// normalizePath and path parameters (`;`): a dot or empty segment with parameters is refused, since
// servlet containers cut the parameters and would resolve it (issue 11 item 8); a segment with a name
// of its own keeps its parameters.
import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../gateway/index.js';
import { encodePath } from '../../gateway/normalize-path.js';

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

// Added from mutation testing (TESTING.md): each case fails on a mutant that survived before.
describe('normalizePath: what mutation testing found unchecked', () => {
  const normalised: [string, string, string][] = [
    ['a query is kept as sent, after normalising', '/a/../b?x=1&y=%2e%2e', '/b'],
    ['a query after an already normal path', '/a/b?x=1', '/a/b'],
    ['a trailing dot keeps the trailing slash', '/a/b/.', '/a/b/'],
    ['a trailing dot-dot keeps the trailing slash', '/a/b/..', '/a/'],
    ['a trailing encoded dot-dot', '/a/b/%2E%2E', '/a/'],
    ['a path without a trailing slash stays without one', '/a/./b', '/a/b'],
  ];
  for (const [name, url, path] of normalised) {
    it(`${name}: ${url} -> ${path}`, () => {
      const search = url.includes('?') ? url.slice(url.indexOf('?')) : '';
      expect(normalizePath(url)).toEqual({ path, search });
    });
  }

  const refused: [string, string, RegExp][] = [
    ['an encoded slash', '/a%2fb', /encoded slashes/],
    ['an encoded backslash', '/a%5Cb', /encoded slashes/],
    ['a raw backslash', '/a\\b', /encoded slashes/],
    ['an encoded NUL', '/a%00b', /encoded slashes/],
    ['a path that does not start with /', 'a/b', /must start with \//],
    ['an absolute-form target', 'http://evil.example/a', /must start with \//],
    ['a malformed percent-encoding', '/a%zzb', /malformed percent-encoding/],
    ['a climb above the root', '/a/../../b', /above the root/],
    ['an encoded CR LF', '/a%0d%0aSet-Cookie:x', /control characters/],
  ];
  for (const [name, url, message] of refused) {
    it(`refuses ${name}: ${url}`, () => expect(normalizePath(url)).toEqual({ error: expect.stringMatching(message) }));
  }
});

// Added from the full run of normalize-path.ts with only this file (TESTING.md): empty segments and the
// trailing slash on the slow path had no case here.
describe('normalizePath: empty segments and the trailing slash on the slow path', () => {
  const cases: [string, string, string][] = [
    ['a doubled slash collapses', '/a//b', '/a/b'],
    ['a leading doubled slash collapses', '//a', '/a'],
    ['a doubled slash at the end leaves one trailing slash', '/a/b//', '/a/b/'],
    ['a trailing slash is kept when another segment needed decoding', '/a/%62/', '/a/b/'],
    ['.. back to the root is the root', '/a/..', '/'],
  ];
  for (const [name, url, path] of cases) {
    it(`${name}: ${url} -> ${path}`, () => expect(normalizePath(url)).toEqual({ path, search: '' }));
  }
});

describe('encodePath: a decoded path made safe for a request line and headers again', () => {
  const cases: [string, string, string][] = [
    ['plain segments unchanged', '/a/b-c_d.e~f', '/a/b-c_d.e~f'],
    ['sub-delims and : @ kept as they are', "/x:y@z!$&'()*+,;=", "/x:y@z!$&'()*+,;="],
    ['a space', '/a b/c', '/a%20b/c'],
    ['a question mark and a hash cannot start a query or fragment', '/a?b#c', '/a%3Fb%23c'],
    ['a percent sign', '/100%', '/100%25'],
    ['non-ASCII as UTF-8', '/ü', '/%C3%BC'],
    ['CR LF never reaches a header', '/a\r\nX: y', '/a%0D%0AX:%20y'],
  ];
  for (const [name, path, want] of cases) {
    it(`${name}: ${JSON.stringify(path)} -> ${want}`, () => expect(encodePath(path)).toBe(want));
  }
});
