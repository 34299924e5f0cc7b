// IP addresses as Mesos-DNS's config takes them: masters and resolvers as `ip[:port]`, compared in
// canonical form so that `[::1]:53` and `[0::1]:53` count as the same server.
import { isIP } from 'node:net';
import type { Upstream } from '../server/forwarder.js';

/** RFC 5952 text for IPv6 (what Mesos-DNS prints; `[::1]` and `[0::1]` are one server), IPv4 as is; null if not an IP. */
export function canonicalIp(text: string): string | null {
  const kind = isIP(text);
  if (kind === 4) return text;
  return kind === 6 ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : null;
}

/** Resolvers as `ip`, `ip:port` or `[v6]:port` (port 53 by default); host names and duplicates refused. */
export function parseUpstreams(texts: readonly string[], fail: (message: string) => void): Upstream[] {
  const out: Upstream[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    const host = match ? match[1]! : text;
    const port = match ? Number(match[2]) : 53;
    const ip = canonicalIp(host);
    if (!ip) fail(`"${text}" is not an IP address (host names are not allowed)`);
    else if (port < 1 || port > 65535) fail(`"${text}" has a port outside 1-65535`);
    else if (seen.has(`${ip}:${port}`)) fail(`"${text}" is listed twice`);
    else {
      seen.add(`${ip}:${port}`);
      out.push({ host: ip, port });
    }
  }
  return out;
}

