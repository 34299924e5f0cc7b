// The zone's SOA/NS settings and name-server addresses `gatehouse run` and `gatehouse mesos-dns` publish.
import { networkInterfaces } from 'node:os';
import type { ZoneOptions } from '../dns/index.js';

/** IPs published for the zone's name server: the listener itself, or every interface for a wildcard. */
export function nameServerIps(listenHost: string): string[] {
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return [listenHost];
  const ips: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal) ips.push(address.address);
  }
  return ips;
}

export function zoneOptionsFor(domain: string, ttl: number): ZoneOptions {
  return {
    domain,
    ttl,
    soaMname: `ns1.${domain}.`,
    soaRname: `root.ns1.${domain}.`,
    soaRefresh: 60,
    soaRetry: 600,
    soaExpire: 86400,
    srvWeight: 1,
    recurse: true,
    setTruncateBit: true,
  };
}
