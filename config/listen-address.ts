// `host:port` and `[v6]:port` listen addresses; port 0 asks the OS for a free port.
import { isIP } from 'node:net';
import type { ListenAddress } from './types.js';

/** The address, or a message saying what is wrong with it. */
export function parseListenAddress(value: string, defaultPort?: number): ListenAddress | string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(value);
  const host = bracketed?.[1] ?? (plain ? plain[1] : isIP(value) === 6 ? value : undefined);
  const portText = bracketed ? bracketed[2] : plain ? plain[2] : undefined;
  if (host === undefined) return `"${value}" is not host:port`;
  if (host !== 'localhost' && !isIP(host)) return `"${host}" is not an IP address`;
  if (portText === undefined) {
    if (defaultPort === undefined) return `"${value}" has no port`;
    return { host: host === 'localhost' ? '127.0.0.1' : host, port: defaultPort };
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port > 65535) return `port ${portText} is not between 0 and 65535`;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}
