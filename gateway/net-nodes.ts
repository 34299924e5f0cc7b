// `/net/v1/nodes`, dcos-net's node list (what `dcos node list` reads for public IPs): one entry per
// node IP, masters and agents alike, `{private_ip, public_ips, hostname, updated}` with `updated`
// in RFC 3339 milliseconds, built from the snapshot rather than a gossip table.
import type { Snapshot } from '../cluster/index.js';

export interface NetNode {
  readonly private_ip: string;
  readonly public_ips: readonly string[];
  readonly hostname: string;
  readonly updated: string;
}

export function netNodes(snapshot: Snapshot | null): NetNode[] {
  if (!snapshot) return [];
  const updated = new Date(snapshot.fetchedAt).toISOString();
  // dcos-net keys its table by IP: a master and an agent on one machine are one node.
  const nodes = new Map<string, NetNode>();
  const masters = snapshot.leader ? [snapshot.leader, ...snapshot.masters] : snapshot.masters;
  for (const master of masters) {
    const ip = master.address.ips[0];
    if (ip && !nodes.has(ip)) nodes.set(ip, { private_ip: ip, public_ips: [], hostname: master.address.host, updated });
  }
  for (const agent of snapshot.agents) {
    const ip = agent.ips[0];
    if (!ip || nodes.has(ip)) continue;
    const publicIp = agent.attributes['public_ip'];
    nodes.set(ip, {
      private_ip: ip,
      public_ips: typeof publicIp === 'string' && publicIp !== 'true' && publicIp !== 'false' ? [publicIp] : [],
      hostname: agent.hostname,
      updated,
    });
  }
  return [...nodes.values()];
}
