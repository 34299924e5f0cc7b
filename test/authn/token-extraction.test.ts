// Where a request's token comes from, edge by edge: Admin Router's order (token=, Bearer, then the
// cookie only without an Authorization header), trimming, the exact size limit, and the cookie found
// by its exact name. Each case names what a wrong answer would let through or lock out.
import { describe, expect, it } from 'vitest';
import { AUTH_COOKIE, MAX_TOKEN_BYTES, extractToken } from '../../authn/token-extraction.js';

const limit = 'a'.repeat(MAX_TOKEN_BYTES);
const cases: { name: string; headers: Record<string, string>; want: { token: string; from: string } | null | string }[] = [
  { name: 'token= is read from the Authorization header', headers: { authorization: 'token=abc' }, want: { token: 'abc', from: 'authorization' } },
  { name: 'TOKEN= in any case', headers: { authorization: 'ToKeN=abc' }, want: { token: 'abc', from: 'authorization' } },
  { name: 'spaces around the header value and the token', headers: { authorization: '  token=  abc  ' }, want: { token: 'abc', from: 'authorization' } },
  { name: 'Bearer', headers: { authorization: 'Bearer abc' }, want: { token: 'abc', from: 'authorization' } },
  { name: 'bearer in any case, several spaces', headers: { authorization: 'bEaReR    abc ' }, want: { token: 'abc', from: 'authorization' } },
  { name: 'Bearer with no space is not Bearer', headers: { authorization: 'Bearerabc' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'a scheme inside the value is not the scheme', headers: { authorization: 'x Bearer abc' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'token= with nothing after it', headers: { authorization: 'token=' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'token= with only spaces after it', headers: { authorization: 'token=   ' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'Bearer with only spaces after it', headers: { authorization: 'Bearer   ' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'a short value that is no scheme', headers: { authorization: 'tok' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'Basic is refused', headers: { authorization: 'Basic Zm9vOmJhcg==' }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'exactly the limit is accepted', headers: { authorization: `token=${limit}` }, want: { token: limit, from: 'authorization' } },
  { name: 'one byte over the limit is refused', headers: { authorization: `token=${limit}a` }, want: 'ERR_AUTHN_TOKEN_TOO_LARGE' },
  { name: 'Bearer over the limit is refused', headers: { authorization: `Bearer ${limit}a` }, want: 'ERR_AUTHN_TOKEN_TOO_LARGE' },
  { name: 'the cookie, among others', headers: { cookie: `a=1; ${AUTH_COOKIE}=abc; b=2` }, want: { token: 'abc', from: 'cookie' } },
  { name: 'the cookie, first and untrimmed', headers: { cookie: `${AUTH_COOKIE}= abc ;b=2` }, want: { token: 'abc', from: 'cookie' } },
  { name: 'a cookie whose name only ends like ours', headers: { cookie: `x-${AUTH_COOKIE}=abc` }, want: null },
  { name: 'a cookie whose name only starts like ours', headers: { cookie: `${AUTH_COOKIE}-x=abc` }, want: null },
  { name: 'a cookie part without a name', headers: { cookie: `=abc; ${AUTH_COOKIE}=def` }, want: { token: 'def', from: 'cookie' } },
  { name: 'a cookie part without =', headers: { cookie: `${AUTH_COOKIE}; b=2` }, want: null },
  { name: 'a cookie part without = that is our name and one more character', headers: { cookie: `${AUTH_COOKIE}x` }, want: null },
  {
    name: 'a line break in the value (node:http never passes one; a caller might)',
    headers: { authorization: 'Bearer abc\nxyz' },
    want: 'ERR_AUTHN_TOKEN_MALFORMED',
  },
  { name: 'the cookie empty', headers: { cookie: `${AUTH_COOKIE}=` }, want: 'ERR_AUTHN_TOKEN_MALFORMED' },
  { name: 'the cookie over the limit', headers: { cookie: `${AUTH_COOKIE}=${limit}a` }, want: 'ERR_AUTHN_TOKEN_TOO_LARGE' },
  { name: 'an empty Cookie header', headers: { cookie: '' }, want: null },
  {
    name: 'the Authorization header wins over the cookie',
    headers: { authorization: 'token=abc', cookie: `${AUTH_COOKIE}=def` },
    want: { token: 'abc', from: 'authorization' },
  },
  {
    name: 'an empty Authorization header is not "no header": the cookie does not count',
    headers: { authorization: '', cookie: `${AUTH_COOKIE}=def` },
    want: 'ERR_AUTHN_TOKEN_MALFORMED',
  },
  { name: 'no header at all', headers: {}, want: null },
];

describe('extractToken(headers)', () => {
  it.each(cases)('$name', ({ headers, want }) => {
    if (typeof want === 'string') {
      expect(() => extractToken(headers)).toThrow(expect.objectContaining({ code: want }));
      return;
    }
    expect(extractToken(headers)).toEqual(want);
  });

  it('a refusal says why, with the sizes', () => {
    expect(() => extractToken({ authorization: `token=${limit}a` })).toThrow(`the token is ${MAX_TOKEN_BYTES + 1} bytes, over the limit of ${MAX_TOKEN_BYTES}`);
    expect(() => extractToken({ authorization: 'token=' })).toThrow('the token is empty');
    expect(() => extractToken({ authorization: 'Basic x' })).toThrow('the Authorization header is neither "token=<jwt>" nor "Bearer <jwt>"');
  });
});
