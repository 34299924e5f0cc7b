// Binds an HTTP handler to a listen address and gives back a close function; a bind failure
// (port in use, bad address) is a runtime failure that names the address.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ListenAddress } from '../config/index.js';
import { GatehouseError } from '../core/index.js';

export interface BoundHttpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenHttp(what: string, address: ListenAddress, handler: RequestListener): Promise<BoundHttpServer> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new GatehouseError('ERR_LISTEN', `${what}: cannot listen on ${address.host}:${address.port}: ${error.code ?? error.message}`, { cause: error })),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
