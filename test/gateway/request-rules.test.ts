// The gateway's header rules on their own: a second Host (in any case) is found wherever it is, the
// headers a client may not strip with `Connection`, when `100 Continue` is owed, and the `Forwarded`
// element the gateway writes (IPv6 bracketed and quoted, IPv4-mapped addresses unwrapped, the host
// quoted with its quotes and backslashes escaped, so a client cannot inject a parameter).
import { describe, expect, it } from 'vitest';
import { END_TO_END, duplicateHost, expectsContinue, forwardedElement } from '../../gateway/request-rules.js';

describe('duplicateHost(rawHeaders)', () => {
  const cases: { name: string; raw: string[]; want: boolean }[] = [
    { name: 'one Host', raw: ['Host', 'a', 'Accept', '*/*'], want: false },
    { name: 'no Host', raw: ['Accept', '*/*'], want: false },
    { name: 'none at all', raw: [], want: false },
    { name: 'two Hosts', raw: ['Host', 'a', 'Host', 'b'], want: true },
    { name: 'two Hosts in other cases, apart', raw: ['hOsT', 'a', 'Accept', '*/*', 'HOST', 'b'], want: true },
    { name: 'another four-letter name after Host', raw: ['Host', 'a', 'Date', 'x', 'From', 'y'], want: false },
    { name: 'a Host value that says host is not a name', raw: ['Host', 'host', 'X', 'host'], want: false },
    { name: 'names that only start or end like host', raw: ['Host', 'a', 'Hostx', 'b', 'xHost', 'c', 'Hos', 'd'], want: false },
  ];
  it.each(cases)('$name', ({ raw, want }) => {
    expect(duplicateHost(raw)).toBe(want);
  });
});

describe('END_TO_END: what Connection may not strip', () => {
  it.each(['authorization', 'host', 'cookie', 'content-length', 'content-type', 'content-encoding', 'x-forwarded-for',
    'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'x-real-ip', 'forwarded', 'x-request-id'])('%s', (name) => {
    expect(END_TO_END.has(name)).toBe(true);
  });
  it('and nothing else', () => {
    expect(END_TO_END.size).toBe(13);
  });
});

describe('expectsContinue(request)', () => {
  const cases: { name: string; expect: string | undefined; minor?: number; want: boolean }[] = [
    { name: '100-continue', expect: '100-continue', want: true },
    { name: 'in any case', expect: '100-Continue', want: true },
    { name: 'among other expectations', expect: 'foo, 100-continue', want: true },
    { name: 'followed by others', expect: '100-continue;x', want: true },
    { name: 'no Expect', expect: undefined, want: false },
    { name: 'another expectation', expect: '200-ok', want: false },
    { name: 'glued to other text before', expect: 'x100-continue', want: false },
    { name: 'glued to other text after', expect: '100-continuex', want: false },
    { name: 'HTTP/1.0', expect: '100-continue', minor: 0, want: false },
    { name: 'HTTP/1.1', expect: '100-continue', minor: 1, want: true },
  ];
  it.each(cases)('$name', ({ expect: value, minor, want }) => {
    const headers = value === undefined ? {} : { expect: value };
    expect(expectsContinue({ headers, ...(minor === undefined ? {} : { httpVersionMinor: minor }) })).toBe(want);
  });
});

describe('forwardedElement(client, proto, host)', () => {
  const cases: { name: string; args: [string, string, string]; want: string }[] = [
    { name: 'IPv4', args: ['10.0.0.1', 'http', 'gw'], want: 'for=10.0.0.1;proto=http;host="gw"' },
    { name: 'IPv6, bracketed and quoted', args: ['fd00::1', 'https', 'gw'], want: 'for="[fd00::1]";proto=https;host="gw"' },
    { name: 'IPv4-mapped IPv6, unwrapped', args: ['::ffff:10.0.0.1', 'http', 'gw'], want: 'for=10.0.0.1;proto=http;host="gw"' },
    { name: 'a ::ffff: prefix without a dot stays IPv6', args: ['::ffff:a00:1', 'http', 'gw'], want: 'for="[::ffff:a00:1]";proto=http;host="gw"' },
    { name: 'no address', args: ['', 'http', 'gw'], want: 'for=unknown;proto=http;host="gw"' },
    { name: 'no host', args: ['10.0.0.1', 'http', ''], want: 'for=10.0.0.1;proto=http' },
    {
      name: 'a host with a quote cannot close the string',
      args: ['10.0.0.1', 'http', 'a";for=1.2.3.4'],
      want: 'for=10.0.0.1;proto=http;host="a\\";for=1.2.3.4"',
    },
    { name: 'a backslash is escaped too', args: ['10.0.0.1', 'http', 'a\\b"c'], want: 'for=10.0.0.1;proto=http;host="a\\\\b\\"c"' },
  ];
  it.each(cases)('$name', ({ args, want }) => {
    expect(forwardedElement(...args)).toBe(want);
  });
});
