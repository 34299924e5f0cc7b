// Mesos-DNS with `ExternalOn` and an empty `resolvers` list forwards to the host's own resolvers:
// the nameservers of /etc/resolv.conf, minus the addresses of this host (to avoid forwarding loops).
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export async function resolvConfResolvers(path = '/etc/resolv.conf'): Promise<{ host: string; port: number }[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const own = new Set<string>();
  for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) own.add(a.address);
  const resolvers: { host: string; port: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    const host = match?.[1];
    if (host && isIP(host) && !own.has(host)) resolvers.push({ host, port: 53 });
  }
  return resolvers;
}
