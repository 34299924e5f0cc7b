// VIP declarations on a task's DiscoveryInfo ports, read the way DC/OS's dcos-net reads them: any port
// label whose key starts with `VIP` (Marathon writes `VIP_<n>`) declares one VIP; its value is
// `<name>:<port>` (a named VIP; a leading `/` as Marathon writes it is only decoration) or
// `<ipv4>:<port>`, split at the last colon. The port's `network-scope` label (Marathon writes it for
// portMappings) says whether the port number is a host port or a container port; without it the number
// is a container port, which for host networking is the same as the host port.
import { isIPv4 } from 'node:net';
import type { DiscoveryInfo, VipLabel } from './snapshot.js';
import { EMPTY, frozenList } from './state-fields.js';

const PROTOCOLS = new Set(['tcp', 'udp']);

export function parseVipLabels(discovery: DiscoveryInfo | null): readonly VipLabel[] {
  if (!discovery) return EMPTY;
  const out: VipLabel[] = [];
  for (const port of discovery.ports) {
    const scope = port.labels.some((l) => l.key === 'network-scope' && l.value === 'host') ? 'host' : 'container';
    for (const label of port.labels) {
      if (!/^vip/i.test(label.key)) continue;
      const protocol = (port.protocol || 'tcp').toLowerCase();
      const target = PROTOCOLS.has(protocol)
        ? parseVipValue(label.value)
        : { kind: 'invalid' as const, reason: `the port's protocol "${port.protocol}" is neither tcp nor udp` };
      out.push(Object.freeze({ key: label.key, value: label.value, protocol, backendPort: port.number, scope, target: Object.freeze(target) }));
    }
  }
  return out.length ? frozenList(out) : EMPTY;
}

export function parseVipValue(value: string): VipLabel['target'] {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { kind: 'invalid', reason: `"${value}" is not a VIP: expected /name:port or ip:port` };
  const host = value.slice(0, colon).trim();
  const portText = value.slice(colon + 1).trim();
  if (!/^\d{1,6}$/.test(portText)) return { kind: 'invalid', reason: `"${value}": "${portText}" is not a port number` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { kind: 'invalid', reason: `"${value}": port ${port} is out of range 1..65535` };
  if (isIPv4(host)) return { kind: 'ip', ip: host, port };
  if (host.includes(':')) return { kind: 'invalid', reason: `"${value}": IPv6 VIPs are not supported` };
  if (!/[A-Za-z0-9]/.test(host)) return { kind: 'invalid', reason: `"${value}": the name has no letters or digits` };
  return { kind: 'named', name: host, port };
}
