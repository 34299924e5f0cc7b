// One client connection through a VIP: connect to a backend (retrying another one on a refused or
// timed-out connect, within the same client connection), then pipe both ways. `pipe` gives the
// backpressure: a side whose peer does not read is paused until the peer drains, so what Gatehouse
// holds per connection stays near two socket high-water marks however slow either reader is. The
// client socket is accepted paused, so nothing is read before a backend is there to take it.
import { connect, type Socket } from 'node:net';
import type { PoolMember, Pool } from './backends.js';
import type { MeshMetrics, PairStats } from './metrics.js';

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
  #closed = false;
  readonly #ctx: ForwardContext;

  constructor(client: Socket, ctx: ForwardContext) {
    this.client = client;
    this.#ctx = ctx;
    client.on('error', () => this.destroy());
    client.once('close', () => this.destroy());
    this.#attempt(new Set());
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
    this.#drainTimer = setTimeout(() => this.destroy(), timeoutMs);
    this.#drainTimer.unref();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.client.destroy();
    this.upstream?.destroy();
    if (this.#stats && this.member) {
      this.#stats.active--;
      this.member.state.active--;
    }
    this.#ctx.onClose(this);
  }

  #attempt(tried: Set<string>): void {
    if (this.#closed) return;
    const { pool, settings, metrics, vipKey } = this.#ctx;
    const member = pool().pick(tried, performance.now());
    if (!member || tried.size >= settings.maxAttempts) {
      metrics.noBackend(vipKey);
      // A reset tells the client at once that nothing is there, as a refused connect would.
      if (!this.client.destroyed) this.client.resetAndDestroy();
      this.destroy();
      return;
    }
    tried.add(member.key);
    const upstream = connect({ host: member.backend.ip, port: member.backend.port, allowHalfOpen: true, noDelay: true });
    this.upstream = upstream;
    let settled = false;
    const fail = () => {
      if (settled || this.#closed) return;
      settled = true;
      clearTimeout(timer);
      upstream.destroy();
      metrics.pair(vipKey, member.key).failures++;
      member.state.skipUntil = performance.now() + settings.failureBackoffMs;
      this.upstream = null;
      this.#attempt(tried);
    };
    const timer = setTimeout(fail, settings.connectTimeoutMs);
    this.#connectTimer = timer;
    upstream.once('error', fail);
    upstream.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
    upstream.on('error', () => this.destroy());
    // A clean close of the backend side comes after its FIN was passed on (pipe ends the client):
    // the client's own close, once our buffered bytes reached it, finishes the connection.
    upstream.once('close', (hadError) => hadError && this.destroy());
    const client = this.client;
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => (stats.bytesToBackend += chunk.length));
    upstream.on('data', (chunk: Buffer) => (stats.bytesToClient += chunk.length));
  }
}
