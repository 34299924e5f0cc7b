// What a person starting Gatehouse needs to see: where everything answers (in the `gatehouse is
// running` line), and on the first start the admin password with the login URL, in a framed block
// on stderr. The block never goes to the log stream (stdout, JSON when not a terminal): log lines
// are shipped and kept, a password must not be. It is printed after `gatehouse is running`, so the
// start-up lines do not push it out of sight.
import type { GatehouseConfig, ListenAddress } from '../config/index.js';

export interface RunningPorts {
  readonly gatewayPort: number | null;
  readonly dns: { readonly udpPort: number; readonly tcpPort: number } | null;
  readonly dnsHttpPort: number | null;
}

export interface RunningUrls {
  readonly login?: string;
  readonly dns?: string;
  readonly dnsApi?: string;
  readonly clusterApi?: string;
}

/** A host a local client can use: a wildcard listener is reached on loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function httpUrl(listen: ListenAddress, port: number, tls = false): string {
  return `${tls ? 'https' : 'http'}://${reachableHost(listen.host)}:${port}`;
}

export function runningUrls(config: GatehouseConfig, ports: RunningPorts): RunningUrls {
  return {
    ...(ports.gatewayPort !== null
      ? { login: `${httpUrl(config.gateway.listen, ports.gatewayPort, Boolean(config.gateway.tls))}/login` }
      : {}),
    ...(ports.dns ? { dns: `${reachableHost(config.dns.listen.host)}:${ports.dns.udpPort}` } : {}),
    ...(ports.dnsHttpPort !== null && config.dns.http ? { dnsApi: httpUrl(config.dns.http, ports.dnsHttpPort) } : {}),
    ...(config.cluster.source === 'local' && config.cluster.local.http.port !== 0
      ? { clusterApi: httpUrl(config.cluster.local.http, config.cluster.local.http.port) }
      : {}),
  };
}

/** `gatehouse is running: login http://…/login · DNS 127.0.0.1:8053 · …` */
export function runningMessage(urls: RunningUrls): string {
  const parts = [
    urls.login && `login ${urls.login}`,
    urls.dns && `DNS ${urls.dns}`,
    urls.dnsApi && `Mesos-DNS API ${urls.dnsApi}`,
    urls.clusterApi && `Mesos/Marathon API ${urls.clusterApi}`,
  ].filter(Boolean);
  return parts.length ? `gatehouse is running: ${parts.join(' · ')}` : 'gatehouse is running';
}

/** The first start's framed block: who was created, the password (once), where to log in. */
export function firstStartBlock(notice: { usersFile: string; password: string; loginUrl: string | null }): string {
  const lines = [
    `Gatehouse created ${notice.usersFile} with the user "admin".`,
    `Password (shown once): ${notice.password} `,
    ...(notice.loginUrl ? [`Log in at ${notice.loginUrl}`] : []),
    'Change it with: gatehouse user add admin',
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const title = ' First start ';
  const top = `┌─${title}${'─'.repeat(Math.max(0, width - title.length))}─┐`;
  const body = lines.map((l) => `│ ${l.padEnd(width)} │`);
  const bottom = `└${'─'.repeat(width + 2)}┘`;
  return `\n${[top, ...body, bottom].join('\n')}\n\n`;
}
