// The DNS server: UDP and TCP on one port, answers from the current AnswerTable (swapped whole by
// setRecords), everything else forwarded. A packet that cannot be parsed gets FORMERR or is dropped;
// an exception while answering becomes SERVFAIL; nothing a client sends stops the server.
import type { Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AnswerTable } from './answer-table.js';
import { openPortPair } from './port-pair.js';
import { DnsError } from '../errors.js';
import { forward, type Upstream } from './forwarder.js';
import { DnsMetrics, type DnsCounters } from './metrics.js';
import type { AnswerRecords, RecordLookup, ZoneOptions } from '../records/record-set.js';
import { errorReply, HEADER_SIZE, parseQuery, RCODE } from '../wire/format.js';
import { replyLayout, truncateReply } from '../wire/relay-truncation.js';

export interface DnsServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly zone: ZoneOptions;
  /** More zones answered with authority (e.g. `thisdcos.directory`), each filled by setZoneRecords. */
  readonly extraZones?: readonly ZoneOptions[];
  readonly resolvers: readonly Upstream[];
  /** Per-zone upstreams (Mesos-DNS `ZoneResolvers`); the longest matching zone wins. */
  readonly zoneResolvers?: readonly { readonly zone: string; readonly upstreams: readonly Upstream[] }[];
  readonly resolverTimeoutMs: number;
  /** 'mesos-dns': exactly Mesos-DNS (UDP answers capped at 512 bytes, no EDNS0 in zone answers). */
  readonly mode: 'mesos-dns' | 'gatehouse';
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Open TCP connections at most (default 1024); more are refused by the kernel backlog. */
  readonly maxTcpConnections?: number;
  /** A TCP connection with nothing to read for this long is closed (default 8 s, as Mesos-DNS). */
  readonly tcpIdleMs?: number;
}

const UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const EDNS_MAX = 4096;
const OUR_EDNS_SIZE = 1232;

export class DnsServer {
  readonly #options: DnsServerOptions;
  readonly #metrics = new DnsMetrics();
  #table: AnswerTable | null = null;
  /** Per extra zone domain: its table (null until its first records). */
  readonly #extra = new Map<string, AnswerTable | null>();
  #unavailable: string | null;
  #udp: Socket | null = null;
  #tcp: Server | null = null;
  readonly #connections = new Set<TcpSocket>();

  constructor(options: DnsServerOptions) {
    validateOptions(options);
    this.#options = options;
    this.#unavailable = options.mode === 'gatehouse' ? 'no records yet' : null;
    this.#metrics.register(options.registry);
    for (const zone of options.extraZones ?? []) this.#extra.set(zone.domain, null);
  }

  async start(): Promise<void> {
    const { host, port } = this.#options.listen;
    const { udp, tcp, port: listening } = await openPortPair({
      host,
      port,
      udpBufferBytes: 4 * 1024 * 1024,
      tcpServer: () => {
        const server = createServer({ pauseOnConnect: false }, (socket) => this.#onTcp(socket));
        server.maxConnections = this.#options.maxTcpConnections ?? 1024;
        return server;
      },
    });
    udp.on('message', (msg, rinfo) => this.#onUdp(udp, msg, rinfo.port, rinfo.address));
    udp.on('error', (error) => this.#options.logger.error({ err: error }, 'DNS UDP socket error'));
    tcp.on('error', (error) => this.#options.logger.error({ err: error }, 'DNS TCP server error'));
    this.#udp = udp;
    this.#tcp = tcp;
    this.#options.logger.info({ host, port: listening, mode: this.#options.mode, domain: this.#options.zone.domain }, 'DNS listening (UDP and TCP)');
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

  /**
   * Builds the complete answer table for `records` beside the current one and swaps it in. When
   * building fails, the current table keeps serving and the error is thrown.
   */
  setRecords(records: AnswerRecords, serial: number): { buildMs: number; names: number } {
    const started = performance.now();
    let table: AnswerTable;
    try {
      table = new AnswerTable(records, this.#options.zone, serial);
    } catch (error) {
      throw new DnsError(
        'ERR_DNS_RECORDS',
        `dns: cannot encode the record set (serial ${serial}); the previous answers keep serving: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#table = table;
    this.#metrics.names = table.size;
    this.#metrics.answerBytes = table.bytes;
    if (table.skipped > 0) this.#options.logger.warn({ skipped: table.skipped, serial }, 'DNS records with values that are not IP addresses were left out');
    return { buildMs: performance.now() - started, names: table.size };
  }

  /** Swaps in an extra zone's answers, built beside the serving ones (as setRecords). */
  setZoneRecords(domain: string, records: AnswerRecords, serial: number): { buildMs: number; names: number } {
    const zone = this.#options.extraZones?.find((z) => z.domain === domain);
    if (!zone) throw new DnsError('ERR_DNS_CONFIG', `dns: ${domain} is not one of the server's zones`);
    const started = performance.now();
    let table: AnswerTable;
    try {
      table = new AnswerTable(records, zone, serial);
    } catch (error) {
      throw new DnsError(
        'ERR_DNS_RECORDS',
        `dns: cannot encode the ${domain} records (serial ${serial}); the previous answers keep serving: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#extra.set(domain, table);
    return { buildMs: performance.now() - started, names: table.size };
  }

  /** The main zone's records as it serves them (read back from its answers); null before the first. */
  records(): RecordLookup | null {
    return this.#table;
  }

  /** The main zone's domain (lower case, no trailing dot). */
  get zoneDomain(): string {
    return this.#options.zone.domain;
  }

  /** This server's counters now (a DNS worker sends them to the primary, which serves /metrics). */
  counters(): DnsCounters {
    return this.#metrics.snapshot();
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
      this.#metrics.dropped++;
      return null;
    }
    if (query === 'formerr' || query === 'notimp') {
      this.#metrics.malformed++;
      return errorReply(msg, query === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP, HEADER_SIZE, zone.recurse);
    }
    const edns = mode === 'gatehouse' && query.ednsSize > 0;
    const limit = transport === 'tcp' ? TCP_LIMIT : edns ? Math.min(query.ednsSize, EDNS_MAX) : UDP_LIMIT;
    const table = this.#table;
    let answering = table;
    let inZone = table ? table.inZone(query.name) : query.name === zone.domain || query.name.endsWith(`.${zone.domain}`);
    if (!inZone && this.#extra.size > 0) {
      for (const [domain, extra] of this.#extra) {
        if (query.name === domain || query.name.endsWith(`.${domain}`)) {
          inZone = true;
          answering = extra;
          break;
        }
      }
    }
    if (inZone) {
      this.#metrics.zone++;
      if (!answering || this.#unavailable !== null) return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      try {
        return answering.respond(msg, query, { limit, optSize: edns ? OUR_EDNS_SIZE : null });
      } catch (error) {
        this.#options.logger.error({ err: error, name: query.name, type: query.type }, 'answering a DNS query failed');
        return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      }
    }
    const upstreams = this.#upstreamsFor(query.name);
    if (upstreams.length === 0) {
      this.#metrics.refused++;
      return errorReply(msg, RCODE.REFUSED, query.questionEnd, false);
    }
    this.#metrics.forwarded++;
    return forward(msg, transport, upstreams, this.#options.resolverTimeoutMs).then((reply) => {
      if (!reply) {
        this.#metrics.forwardFailed++;
        return errorReply(msg, RCODE.SERVFAIL, query.questionEnd, zone.recurse);
      }
      return truncateReply(reply, this.#forwardLimit(reply, transport, query.ednsSize), zone.setTruncateBit);
    });
  }

  /**
   * Mesos-DNS takes the limit from the relayed reply's own OPT (the upstream's size); gatehouse
   * mode from what the client said it can take.
   */
  #forwardLimit(reply: Buffer, transport: 'udp' | 'tcp', clientEdns: number): number {
    if (transport === 'tcp') return TCP_LIMIT;
    if (this.#options.mode === 'gatehouse') return Math.max(UDP_LIMIT, clientEdns);
    if (reply.length <= UDP_LIMIT) return UDP_LIMIT;
    return Math.max(UDP_LIMIT, replyLayout(reply)?.optSize ?? 0);
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
      this.#metrics.count(reply, 'udp');
      socket.send(reply, port, address);
      return;
    }
    void reply.then((r) => {
      if (r && this.#udp === socket) {
        this.#metrics.count(r, 'udp');
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
    // A client that sends but does not read: stop reading until it has taken our replies.
    socket.on('drain', () => socket.resume());
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      // Pipelined queries: answer every complete frame; replies may overtake slow forwarded ones (RFC 7766).
      while (data.length >= 2) {
        const length = data.readUInt16BE(0);
        if (data.length < 2 + length) break;
        const msg = data.subarray(2, 2 + length);
        data = data.subarray(2 + length);
        const reply = this.handle(msg, 'tcp');
        if (reply instanceof Promise) void reply.then((r) => r && this.#writeFramed(socket, r));
        else if (reply) this.#writeFramed(socket, reply);
      }
      if (data.length > 0) pending = Buffer.from(data);
    });
  }

  #writeFramed(socket: TcpSocket, reply: Buffer): void {
    if (socket.destroyed || !socket.writable) return;
    this.#metrics.count(reply, 'tcp');
    const length = Buffer.allocUnsafe(2);
    length.writeUInt16BE(reply.length, 0);
    socket.cork();
    socket.write(length);
    const flushed = socket.write(reply);
    socket.uncork();
    if (!flushed) socket.pause();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function validateOptions(options: DnsServerOptions): void {
  const fail = (option: string, problem: string) => {
    throw new DnsError('ERR_DNS_CONFIG', `dns: option ${option} ${problem}`);
  };
  const { listen, zone, resolvers, resolverTimeoutMs, mode } = options;
  if (!listen || typeof listen.host !== 'string' || !listen.host) fail('listen.host', 'must be an address');
  if (!Number.isInteger(listen.port) || listen.port < 0 || listen.port > 65535)
    fail('listen.port', `must be a port number 0..65535 (got ${String(listen.port)})`);
  if (!zone || !zone.domain || zone.domain.endsWith('.') || zone.domain !== zone.domain.toLowerCase())
    fail('zone.domain', `must be a lower-case domain without a trailing dot (got ${JSON.stringify(zone?.domain)})`);
  if (!Number.isInteger(zone.ttl) || zone.ttl < 0 || zone.ttl > 0x7fffffff) fail('zone.ttl', `must be a whole number of seconds (got ${String(zone.ttl)})`);
  for (const key of ['soaMname', 'soaRname'] as const)
    if (typeof zone[key] !== 'string' || !zone[key].endsWith('.')) fail(`zone.${key}`, 'must be a name with a trailing dot');
  for (const key of ['soaRefresh', 'soaRetry', 'soaExpire', 'srvWeight'] as const)
    if (!Number.isInteger(zone[key]) || zone[key] < 0) fail(`zone.${key}`, `must be a whole number >= 0 (got ${String(zone[key])})`);
  if (!Array.isArray(resolvers)) fail('resolvers', 'must be a list');
  resolvers.forEach((r, i) => {
    if (!r || typeof r.host !== 'string' || !r.host || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535)
      fail(`resolvers[${i}]`, `must be {host, port} (got ${JSON.stringify(r)})`);
  });
  if (!(resolverTimeoutMs > 0)) fail('resolverTimeoutMs', `must be > 0 (got ${String(resolverTimeoutMs)})`);
  if (mode !== 'mesos-dns' && mode !== 'gatehouse') fail('mode', `must be 'mesos-dns' or 'gatehouse' (got ${JSON.stringify(mode)})`);
  if (!options.logger) fail('logger', 'is required');
}

