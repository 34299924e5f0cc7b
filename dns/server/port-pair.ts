// A UDP socket and a TCP server on one port of one address, as DNS listens. With port 0 the kernel
// picks the UDP port, which may be taken for TCP: another pair is tried. Both DnsServer (which keeps
// the pair) and the DNS workers' primary (which picks a pair for its workers and releases it) use this.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { DnsError } from '../errors.js';

/** Pairs tried with port 0 before giving up: one whose TCP port is taken costs a bind and a listen. */
const ATTEMPTS_ON_PORT_0 = 20;

export interface PortPairOptions {
  readonly host: string;
  /** 0: any free pair. */
  readonly port: number;
  /** Sockets of this process alone; otherwise node:cluster shares them with sibling workers by address and port. */
  readonly exclusive?: boolean;
  readonly udpBufferBytes?: number;
  /** The TCP server to listen (with its connection handler); a bare one by default. */
  readonly tcpServer?: () => Server;
}

export interface PortPair {
  readonly udp: Socket;
  readonly tcp: Server;
  readonly port: number;
}

export async function openPortPair(options: PortPairOptions): Promise<PortPair> {
  const { host, port, exclusive = false } = options;
  for (let attempt = 1; ; attempt++) {
    // A colon only ever appears in an IPv6 address (net.isIPv6's first call compiles a regexp: 9 ms of a start).
    const buffers = options.udpBufferBytes ? { recvBufferSize: options.udpBufferBytes, sendBufferSize: options.udpBufferBytes } : {};
    const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ...buffers });
    const udpPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port, address: host, exclusive }, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    }).catch((error: NodeJS.ErrnoException) => {
      udp.close();
      throw new DnsError('ERR_DNS_LISTEN', `dns: cannot listen on UDP ${host}:${port}: ${error.code ?? error.message}`, { cause: error });
    });
    const tcp = options.tcpServer?.() ?? createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port: udpPort, host, exclusive }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: udpPort };
    } catch (error) {
      udp.close();
      if (port === 0 && attempt < ATTEMPTS_ON_PORT_0) continue;
      throw new DnsError('ERR_DNS_LISTEN', `dns: cannot listen on TCP ${host}:${udpPort}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  }
}

/** A pair free on `host` a moment ago (opened exclusively, then released): its port. */
export async function freePortPair(host: string): Promise<number> {
  const { udp, tcp, port } = await openPortPair({ host, port: 0, exclusive: true });
  await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
  return port;
}
