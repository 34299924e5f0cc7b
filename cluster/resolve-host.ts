// Turning host names from pids and `hostname` fields into IPs, once per distinct name and bounded
// in time: a name that does not resolve yields no IPs rather than failing the whole snapshot.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { canonicalIp } from './process-address.js';
import { ClusterError } from './errors.js';

export type HostResolver = (host: string) => Promise<string[]>;

export function systemResolver(timeoutMs = 2000): HostResolver {
  return async (host) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterError('ERR_CLUSTER_RESOLVE_TIMEOUT', `resolving ${host} took over ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const addresses = await Promise.race([lookup(host, { all: true }), timeout]);
      return addresses.map((a) => a.address);
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Resolves every distinct name at once; IP literals are answered without asking anyone. */
export async function resolveAll(hosts: Iterable<string>, resolver: HostResolver): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  const pending: Promise<void>[] = [];
  for (const host of hosts) {
    if (!host || result.has(host)) continue;
    const literal = isIP(host) ? canonicalIp(host) : null;
    if (literal) {
      result.set(host, [literal]);
      continue;
    }
    result.set(host, []);
    // A resolver that rejects (or throws) is an unresolvable name, never a failed snapshot.
    pending.push(
      Promise.resolve()
        .then(() => resolver(host))
        .then((ips) => {
          if (!Array.isArray(ips)) return;
          const canonical: string[] = [];
          for (const ip of ips) {
            const c = canonicalIp(ip);
            if (c && !canonical.includes(c)) canonical.push(c);
          }
          result.set(host, canonical);
        })
        .catch(() => undefined),
    );
  }
  await Promise.all(pending);
  return result;
}
