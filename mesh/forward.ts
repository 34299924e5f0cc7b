// One client connection through a VIP: connect to a backend (retrying another one on a refused or
// timed-out connect, within the same client connection), then forward both ways. Backpressure: a
// side whose peer's write buffer is full stops being read until the peer drains, so what Gatehouse
// holds per connection stays near two socket buffers however slow either reader is. The client
// socket is accepted paused, so nothing is read before a backend is there to take it.
//
// Why not `pipe()`: it adds half a dozen listeners per direction and a stream hop per chunk; the
// forwarding below is the same backpressure with one listener per event (profiled: the per-chunk
// and per-connection JS cost is most of the mesh's CPU). The backend side is read through `onread`
// into a buffer of this connection's own, reused while every write of it completed at once, so a
// large transfer allocates nothing per chunk (Node allocates a fresh 64 KiB buffer per read
// otherwise, and the garbage collector then spends more than the forwarding).
import { connect, type Socket } from 'node:net';
import type { PoolMember, Pool } from './backends.js';
import type { MeshMetrics, PairStats } from './metrics.js';
import { ReadBuffer } from './read-buffer.js';

export interface ForwardSettings {
  readonly connectTimeoutMs: number;
  readonly failureBackoffMs: number;
  /** Backends tried per client connection at most. */
  readonly maxAttempts: number;
}

export interface ForwardContext {
  readonly vipKey: string;
  /** The listener's pool now: a retry uses the newest one. */
  readonly pool: () => Pool;
  readonly settings: ForwardSettings;
  readonly metrics: MeshMetrics;
  readonly onClose: (connection: ForwardedConnection) => void;
}

export class ForwardedConnection {
  readonly client: Socket;
  upstream: Socket | null = null;
  member: PoolMember | null = null;
  #stats: PairStats | null = null;
  #drainTimer: NodeJS.Timeout | null = null;
  /** The pending connect's timeout: a client that leaves while it waits must not fail the backend. */
  #connectTimer: NodeJS.Timeout | null = null;
  /** Backends this client's connect failed on (made on the first failure only). */
  #tried: Set<string> | null = null;
  #attempts = 0;
  /** Bytes already added to the stats (they are added at close, and when metrics or status are read). */
  #countedToBackend = 0;
  #countedToClient = 0;
  #closed = false;
  readonly #ctx: ForwardContext;

  constructor(client: Socket, ctx: ForwardContext) {
    this.client = client;
    this.#ctx = ctx;
    client.on('error', this.destroy);
    client.on('close', this.destroy);
    this.#attempt();
  }

  /** Bytes Gatehouse holds for this connection right now (both directions, not yet taken by the kernel). */
  get buffered(): number {
    return this.client.writableLength + (this.upstream?.writableLength ?? 0) + this.client.readableLength + (this.upstream?.readableLength ?? 0);
  }

  get draining(): boolean {
    return this.#drainTimer !== null;
  }

  /** Its backend left: it may finish, but is cut after `timeoutMs` (0: never cut). */
  drain(timeoutMs: number): void {
    if (this.#drainTimer || this.#closed || timeoutMs <= 0) return;
    this.#drainTimer = setTimeout(this.destroy, timeoutMs);
    this.#drainTimer.unref();
  }

  /** Adds the bytes forwarded since the last call to the VIP's and backend's counters. */
  countBytes(): void {
    const stats = this.#stats;
    if (!stats || !this.upstream) return;
    const toBackend = this.client.bytesRead;
    const toClient = this.upstream.bytesRead;
    stats.bytesToBackend += toBackend - this.#countedToBackend;
    stats.bytesToClient += toClient - this.#countedToClient;
    this.#countedToBackend = toBackend;
    this.#countedToClient = toClient;
  }

  // An arrow property: it is every socket's error and close listener, and a timer's callback.
  readonly destroy = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.client.destroy();
    this.upstream?.destroy();
    if (this.#stats && this.member) {
      this.countBytes();
      this.#stats.active--;
      this.member.state.active--;
    }
    this.#ctx.onClose(this);
  };

  #attempt(): void {
    if (this.#closed) return;
    const { pool, settings, metrics, vipKey } = this.#ctx;
    const member = this.#attempts < settings.maxAttempts ? pool().pick(this.#tried, performance.now()) : null;
    if (!member) {
      metrics.noBackend(vipKey);
      // A reset tells the client at once that nothing is there, as a refused connect would.
      if (!this.client.destroyed) this.client.resetAndDestroy();
      this.destroy();
      return;
    }
    this.#attempts++;
    const reader = new ReadBuffer();
    const upstream = connect({
      host: member.backend.ip,
      port: member.backend.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: reader.next, callback: (n: number, buffer: Uint8Array) => this.#toClient(n, buffer, reader) },
    });
    this.upstream = upstream;
    const fail = (): void => {
      if (this.upstream !== upstream || this.#closed) return;
      clearTimeout(this.#connectTimer!);
      this.#connectTimer = null;
      upstream.destroy();
      metrics.pair(vipKey, member.key).failures++;
      member.state.skipUntil = performance.now() + settings.failureBackoffMs;
      this.upstream = null;
      (this.#tried ??= new Set()).add(member.key);
      this.#attempt();
    };
    this.#connectTimer = setTimeout(fail, settings.connectTimeoutMs);
    upstream.on('error', fail);
    upstream.on('connect', () => {
      if (this.upstream !== upstream) return;
      clearTimeout(this.#connectTimer!);
      this.#connectTimer = null;
      upstream.off('error', fail);
      this.#connected(member, upstream);
    });
  }

  #connected(member: PoolMember, upstream: Socket): void {
    if (this.#closed) {
      upstream.destroy();
      return;
    }
    const stats = this.#ctx.metrics.pair(this.#ctx.vipKey, member.key);
    this.member = member;
    this.#stats = stats;
    stats.connections++;
    stats.active++;
    member.state.active++;
    const client = this.client;
    upstream.on('error', this.destroy);
    // A clean close of the backend side comes after its FIN was passed on (end() below): the client's
    // own close, once our buffered bytes reached it, finishes the connection.
    upstream.on('close', (hadError: boolean) => hadError && this.destroy());
    upstream.on('end', () => this.#ended(upstream, client));
    upstream.on('drain', () => client.resume());
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    client.on('end', () => this.#ended(client, upstream));
    client.on('drain', () => upstream.resume());
    client.resume();
  }

  /**
   * `from` sent its FIN: pass it on to `to`. When `to` had sent its own already and nothing waits to be
   * written either way, both directions are done: close both now (close sends the FIN after what the
   * kernel holds), which spares a shutdown and the stream's end steps (a connection per request).
   */
  #ended(from: Socket, to: Socket): void {
    if (to.readableEnded && from.writableLength === 0 && to.writableLength === 0) this.destroy();
    else to.end();
  }

  /** The backend's bytes, read into `buffer`: to the client; false stops reading until the client drains. */
  #toClient(n: number, buffer: Uint8Array, reader: ReadBuffer): boolean {
    const client = this.client;
    const flushed = client.write(n === buffer.length ? buffer : buffer.subarray(0, n));
    // Bytes the kernel did not take at once stay referenced by the pending write: read into another buffer next.
    reader.filled(n, client.writableLength > 0);
    return flushed;
  }
}
