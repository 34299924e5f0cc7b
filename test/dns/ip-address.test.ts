// Resolver addresses as Mesos-DNS's config takes them (`ip`, `ip:port`, `[v6]:port`): the port's
// edges and text around an address, found unchecked by mutation testing (TESTING.md).
import { describe, expect, it } from 'vitest';
import { parseUpstreams } from '../../dns/records/ip-address.js';

function parse(text: string): { upstreams: unknown; problems: string[] } {
  const problems: string[] = [];
  const upstreams = parseUpstreams([text], (message) => problems.push(message));
  return { upstreams, problems };
}

describe('parseUpstreams', () => {
  const accepted: { name: string; text: string; host: string; port: number }[] = [
    { name: 'port 1, the lowest', text: '10.0.0.9:1', host: '10.0.0.9', port: 1 },
    { name: 'port 65535, the highest', text: '10.0.0.9:65535', host: '10.0.0.9', port: 65535 },
    { name: 'IPv6 with a port, canonical', text: '[2001:0db8::1]:5353', host: '2001:db8::1', port: 5353 },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => expect(parse(c.text)).toEqual({ upstreams: [{ host: c.host, port: c.port }], problems: [] }));
  }

  const refused: { name: string; text: string; problem: string }[] = [
    { name: 'port 65536', text: '10.0.0.9:65536', problem: '"10.0.0.9:65536" has a port outside 1-65535' },
    { name: 'text before a bracketed IPv6', text: 'x[::1]:53', problem: '"x[::1]:53" is not an IP address (host names are not allowed)' },
    { name: 'text after a bracketed IPv6 port', text: '[::1]:53x', problem: '"[::1]:53x" is not an IP address (host names are not allowed)' },
    { name: 'text after an IPv4 port', text: '10.0.0.9:53x', problem: '"10.0.0.9:53x" is not an IP address (host names are not allowed)' },
    { name: 'a name and a colon before an IPv4 address', text: 'a:10.0.0.9:53', problem: '"a:10.0.0.9:53" is not an IP address (host names are not allowed)' },
  ];
  for (const c of refused) it(`refuses ${c.name}`, () => expect(parse(c.text)).toEqual({ upstreams: [], problems: [c.problem] }));
});
