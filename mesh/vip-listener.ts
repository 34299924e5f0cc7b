// One TCP listener on a VIP's address and port. Its pool is swapped whole when the VIP table changes;
// connections to a backend that left the pool are not cut but drain (until they close, or the drain
// timeout). Closing the listener stops new connections at once and lets the open ones drain the same way.
import { createServer, type Server, type Socket } from 'node:net';
import type { Vip } from '../cluster/index.js';
import type { Pool } from './backends.js';
import { ForwardedConnection, type ForwardSettings } from './forward.js';
import type { MeshMetrics } from './metrics.js';

export class VipListener {
  vip: Vip;
  #pool: Pool;
  #server: Server | null = null;
  readonly connections = new Set<ForwardedConnection>();
  readonly #settings: ForwardSettings;
  readonly #metrics: MeshMetrics;
  readonly #drainTimeoutMs: number;

  constructor(vip: Vip, pool: Pool, settings: ForwardSettings, metrics: MeshMetrics, drainTimeoutMs: number) {
    this.vip = vip;
    this.#pool = pool;
    this.#settings = settings;
    this.#metrics = metrics;
    this.#drainTimeoutMs = drainTimeoutMs;
  }

  get pool(): Pool {
    return this.#pool;
  }

  /** The listening server (the primary hands it to the mesh's other processes). */
  get server(): Server | null {
    return this.#server;
  }

  /** Binds the VIP's address and port, or (a mesh worker) accepts from a listening socket the primary sent. */
  listen(shared?: Server): Promise<void> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.#accept(socket));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        // A listening server's later errors (none expected) must not crash the process.
        server.on('error', () => undefined);
        this.#server = server;
        resolve();
      };
      if (shared) server.listen(shared, listening);
      else server.listen({ host: this.vip.address, port: this.vip.port, exclusive: true }, listening);
    });
  }

  /** Swaps in the new table's VIP and pool; connections whose backend left start draining. */
  update(vip: Vip, pool: Pool): void {
    this.vip = vip;
    this.#pool = pool;
    for (const connection of this.connections) {
      if (connection.member && !pool.has(connection.member.key)) connection.drain(this.#drainTimeoutMs);
    }
  }

  /** No new connections; open ones drain. Resolves when the listening socket is closed. */
  close(): Promise<void> {
    for (const connection of this.connections) connection.drain(this.#drainTimeoutMs);
    const server = this.#server;
    this.#server = null;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  destroyConnections(): void {
    for (const connection of [...this.connections]) connection.destroy();
  }

  #accept(socket: Socket): void {
    const connection = new ForwardedConnection(socket, {
      vipKey: this.vip.key,
      pool: () => this.#pool,
      settings: this.#settings,
      metrics: this.#metrics,
      onClose: (c) => this.connections.delete(c),
    });
    if (!socket.destroyed) this.connections.add(connection);
  }
}
