// The small rules of the embedded Marathon API's HTTP layer: Marathon's validation paths, its
// boolean query flags, and which clients may change apps (the port has no authentication).
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { flag, isThisMachine, marathonPath } from '../../../cluster/local/api/marathon-http.js';

describe('marathonPath', () => {
  const table = [
    { name: 'the app itself', keyPath: '', path: '/' },
    { name: 'a key', keyPath: 'cpus', path: '/cpus' },
    { name: 'a list element', keyPath: 'healthChecks[0].portIndex', path: '/healthChecks(0)/portIndex' },
    { name: 'nested lists', keyPath: 'portDefinitions[1].labels.VIP_0', path: '/portDefinitions(1)/labels/VIP_0' },
  ];
  it.each(table)('$name: $keyPath → $path', ({ keyPath, path }) => expect(marathonPath(keyPath)).toBe(path));
});

describe('flag', () => {
  const table = [
    { name: 'absent', query: '', value: false },
    { name: 'true', query: '?force=true', value: true },
    { name: "Python's True", query: '?force=True', value: true },
    { name: 'false', query: '?force=false', value: false },
    { name: 'anything else', query: '?force=1', value: false },
  ];
  it.each(table)('$name', ({ query, value }) => expect(flag(new URL(`http://x/v2/apps${query}`), 'force')).toBe(value));
  it('absent with a default of true (DELETE /v2/apps/<id>)', () => expect(flag(new URL('http://x/'), 'force', true)).toBe(true));
});

describe('isThisMachine', () => {
  const own = Object.values(networkInterfaces()).flatMap((l) => l ?? []).find((a) => !a.internal)?.address;
  const table = [
    { name: 'IPv4 loopback', address: '127.0.0.1', local: true },
    { name: 'another loopback address', address: '127.8.9.10', local: true },
    { name: 'IPv4 loopback mapped into IPv6', address: '::ffff:127.0.0.1', local: true },
    { name: 'IPv6 loopback', address: '::1', local: true },
    { name: 'a documentation address (never ours)', address: '192.0.2.7', local: false },
    { name: 'an IPv6 documentation address', address: '2001:db8::7', local: false },
    { name: 'no address (a closed socket)', address: undefined, local: false },
    ...(own ? [{ name: "this machine's own interface address", address: own, local: true }] : []),
  ];
  it.each(table)('$name', ({ address, local }) => expect(isThisMachine(address)).toBe(local));
});
