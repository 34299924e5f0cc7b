// The DNS server: UDP and TCP on one port, answers from the current AnswerTable (swapped whole by
// setRecords), everything else forwarded. A packet that cannot be parsed gets FORMERR or is dropped;
// an exception while answering becomes SERVFAIL; nothing a client sends stops the server.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AnswerTable } from './answer-table.js';
import { DnsError } from './errors.js';
import { forward, type Upstream } from './forwarder.js';
import { QueryCounters } from './query-counters.js';
import type { RecordSet, ZoneOptions } from './record-set.js';
import { errorReply, HEADER_SIZE, parseQuery, RCODE } from './wire.js';

export interface DnsServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly zone: ZoneOptions;
  readonly resolvers: readonly Upstream[];
  /** Per-zone upstreams (Mesos-DNS `ZoneResolvers`); the longest matching zone wins. */
  readonly zoneResolvers?: readonly { readonly zone: string; readonly upstreams: readonly Upstream[] }[];
  readonly resolverTimeoutMs: number;
  /** 'mesos-dns': exactly Mesos-DNS (UDP answers capped at 512 bytes, no EDNS0 in zone answers). */
  readonly mode: 'mesos-dns' | 'gatehouse';
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly maxTcpConnections?: number;
  readonly tcpIdleMs?: number;
}

const UDP_LIMIT = 512;
const EDNS_MAX = 4096;
const OUR_EDNS_SIZE = 1232;

export class DnsServer {
  readonly #options: DnsServerOptions;
  readonly #counters = new QueryCounters();
  #table: AnswerTable | null = null;
  #unavailable: string | null;
  #udp: Socket | null = null;
  #tcp: Server | null = null;
  readonly #connections = new Set<TcpSocket>();

  constructor(options: DnsServerOptions) {
    if (!options.zone.domain) throw new DnsError('ERR_DNS_CONFIG', 'dns: the zone needs a domain');
    this.#options = options;
    this.#unavailable = options.mode === 'gatehouse' ? 'no records yet' : null;
    this.#counters.register(options.registry);
  }

  async start(): Promise<void> {
    const { host, port } = this.#options.listen;
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
      const udpPort = await bind(udp, host, port).catch((error: NodeJS.ErrnoException) => {
        udp.close();
        throw new DnsError('ERR_DNS_LISTEN', `dns: cannot listen on UDP ${host}:${port}: ${error.code ?? error.message}`, { cause: error });
      });
      const tcp = createServer({ pauseOnConnect: false }, (socket) => this.#onTcp(socket));
      tcp.maxConnections = this.#options.maxTcpConnections ?? 1024;
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(udpPort, host, () => resolve());
        });
      } catch (error) {
        udp.close();
        // With port 0 the UDP port may be taken for TCP: pick another pair.
        if (port === 0 && attempt < 10) continue;
        throw new DnsError('ERR_DNS_LISTEN', `dns: cannot listen on TCP ${host}:${udpPort}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
      }
      udp.on('message', (msg, rinfo) => this.#onUdp(udp, msg, rinfo.port, rinfo.address));
      udp.on('error', (error) => this.#options.logger.error({ err: error }, 'DNS UDP socket error'));
      tcp.on('error', (error) => this.#options.logger.error({ err: error }, 'DNS TCP server error'));
      this.#udp = udp;
      this.#tcp = tcp;
      this.#options.logger.info({ host, port: udpPort, mode: this.#options.mode, domain: this.#options.zone.domain }, 'DNS listening (UDP and TCP)');
      return;
    }
  }

  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = null;
    this.#tcp = null;
    for (const socket of this.#connections) socket.destroy();
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  address(): { host: string; udpPort: number; tcpPort: number } {
    if (!this.#udp || !this.#tcp) throw new DnsError('ERR_DNS_NOT_STARTED', 'dns: the server is not listening');
    const tcp = this.#tcp.address();
    return { host: this.#options.listen.host, udpPort: this.#udp.address().port, tcpPort: typeof tcp === 'object' && tcp ? tcp.port : 0 };
  }

  setRecords(records: RecordSet, serial: number): { buildMs: number; names: number } {
    const started = performance.now();
    const table = new AnswerTable(records, this.#options.zone, serial);
    this.#table = table;
    return { buildMs: performance.now() - started, names: table.size };
  }

  /** Gatehouse mode: while a reason is set, zone names get SERVFAIL (never a cacheable NXDOMAIN). */
  setUnavailable(reason: string | null): void {
    this.#unavailable = reason;
  }

  /** One query in, one reply out (null: send nothing). Synchronous for zone names. */
  handle(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | null | Promise<Buffer | null> {
    const { mode, zone } = this.#options;
    const query = parseQuery(msg);
    if (query === 'drop') {
      this.#counters.dropped++;
      return null;
    }
    if (query === 'formerr' || query === 'notimp') {
      this.#counters.malformed++;
      return errorReply(msg, query === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP, HEADER_SIZE, zone.recurse);
    }
    const edns = mode === 'gatehouse' && query.ednsSize > 0;
    const limit = transport === 'tcp' ? 65535 : edns ? Math.min(query.ednsSize, EDNS_MAX) : UDP_LIMIT;
    const table = this.#table;
    const inZone = table ? table.inZone(query.name) : query.name === zone.domain || query.name.endsWith(`.${zone.domain}`);
    if (inZone) {
      this.#counters.zone++;
      if (!table || this.#unavailable !== null) return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      try {
        return table.respond(msg, query, { limit, optSize: edns ? OUR_EDNS_SIZE : null });
      } catch (error) {
        this.#options.logger.error({ err: error, name: query.name, type: query.type }, 'answering a DNS query failed');
        return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      }
    }
    const upstreams = this.#upstreamsFor(query.name);
    if (upstreams.length === 0) {
      this.#counters.refused++;
      return errorReply(msg, RCODE.REFUSED, query.questionEnd, false);
    }
    this.#counters.forwarded++;
    return forward(msg, transport, upstreams, this.#options.resolverTimeoutMs).then((reply) => {
      if (!reply) {
        this.#counters.forwardFailed++;
        return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      }
      // The upstream saw the client's own EDNS size; only a reply that still does not fit is cut.
      if (transport === 'udp' && reply.length > Math.max(limit, query.ednsSize)) {
        const cut = errorReply(reply, (reply[3]! & 0x0f) as 0, query.questionEnd, (reply[3]! & 0x80) !== 0);
        if (zone.setTruncateBit) cut[2] = cut[2]! | 0x02;
        return cut;
      }
      return reply;
    });
  }

  #upstreamsFor(name: string): readonly Upstream[] {
    let best: { zone: string; upstreams: readonly Upstream[] } | null = null;
    for (const entry of this.#options.zoneResolvers ?? []) {
      const zone = entry.zone.toLowerCase();
      if ((name === zone || name.endsWith(`.${zone}`)) && (!best || zone.length > best.zone.length)) best = entry;
    }
    return best ? best.upstreams : this.#options.resolvers;
  }

  #onUdp(socket: Socket, msg: Buffer, port: number, address: string): void {
    const reply = this.handle(msg, 'udp');
    if (reply === null) return;
    if (!(reply instanceof Promise)) {
      this.#counters.count(reply);
      socket.send(reply, port, address);
      return;
    }
    void reply.then((r) => {
      if (r && this.#udp === socket) {
        this.#counters.count(r);
        socket.send(r, port, address);
      }
    });
  }

  #onTcp(socket: TcpSocket): void {
    this.#connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.tcpIdleMs ?? 8000, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const msg = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = this.handle(Buffer.from(msg), 'tcp');
        if (reply instanceof Promise) void reply.then((r) => r && this.#writeFramed(socket, r));
        else if (reply) this.#writeFramed(socket, reply);
      }
    });
  }

  #writeFramed(socket: TcpSocket, reply: Buffer): void {
    if (socket.destroyed) return;
    this.#counters.count(reply);
    const length = Buffer.allocUnsafe(2);
    length.writeUInt16BE(reply.length, 0);
    socket.write(Buffer.concat([length, reply]));
  }
}

function bind(socket: Socket, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}
