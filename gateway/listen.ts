// Where the gateway listens, with either engine (gateway.engine): the lean HTTP/1.1 server with its
// hot path, or node:http; HTTPS with gateway.tls. Requests the parser refuses are answered here, the
// same way for both: 400 and the connection closed, 431 past gateway.maxHeaderSize, 408 when the
// headers do not arrive in time (15 s, node:http's headersTimeout).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { type ListenAddress } from '../config/index.js';
import { GatehouseError } from '../core/index.js';
import { Http1Server, loadParser, type LeanRequest, type LeanResponse } from './http1/index.js';

/** What close() needs of either engine's server. */
export interface Listening {
  close(done: () => void): void;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

export interface GatewayHandlers {
  /** The lean engine's hot path: answers on `res` and returns true, or returns false for `request`. */
  fast(req: LeanRequest, res: LeanResponse): boolean;
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** `Expect: 100-continue`: the handler sends `100 Continue` itself once it wants the body. */
  checkContinue(req: IncomingMessage, res: ServerResponse): void;
}

export interface ListenOptions {
  readonly listen: ListenAddress;
  readonly engine: 'lean' | 'node';
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly maxHeaderSize: number;
  readonly logger: Logger;
}

const HEADERS_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export async function listenGateway(options: ListenOptions, handlers: GatewayHandlers): Promise<{ server: Listening; port: number }> {
  const { host, port } = options.listen;
  const clientError = (error: NodeJS.ErrnoException, socket: Socket): void => answerClientError(error, socket, options.maxHeaderSize);
  const lean = options.engine === 'node' ? null : loadParser();
  if (lean && 'error' in lean) options.logger.warn({ reason: lean.error }, 'gateway.engine lean: Node\'s HTTP parser is not reachable here; serving with node:http');
  if (lean && 'factory' in lean) {
    const server = new Http1Server({
      factory: lean.factory,
      maxHeaderSize: options.maxHeaderSize,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      tls: options.tls,
      handlers: { ...handlers, clientError },
    });
    const address = await server.listen(port, host).catch((error: NodeJS.ErrnoException) => {
      throw listenError(host, port, error);
    });
    return { server, port: address.port };
  }
  const limits = { maxHeaderSize: options.maxHeaderSize, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: 0 };
  const server: Server = options.tls ? createHttpsServer({ ...limits, ...options.tls }, handlers.request) : createServer(limits, handlers.request);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handlers.upgrade(req, socket, head));
  server.on('clientError', clientError);
  // With a listener, node:http leaves `100 Continue` to it instead of sending it before anything is checked.
  server.on('checkContinue', handlers.checkContinue);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(host, port, error)));
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A request the parser refused (smuggling shapes such as CL+TE or two lengths, bad syntax) gets a
 * plain 400; headers over gateway.maxHeaderSize get 431, headers that do not arrive in time 408. The
 * connection is closed once the answer is out, whether or not the client closes its side.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, maxHeaderSize: number): void {
  if (!socket.writable) return void socket.destroy();
  const answer = (text: string): void => void socket.end(text, () => socket.destroy());
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return answer('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  if (error.code !== 'HPE_HEADER_OVERFLOW') return answer('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  const body = JSON.stringify({ title: 'Request Header Fields Too Large', description: `the request line and headers are larger than ${maxHeaderSize} bytes (gateway.maxHeaderSize)`, code: 'ERR_GATEWAY_HEADERS_TOO_LARGE' });
  answer(`HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A listen failure that names the key to change (the code stays in the message: EADDRINUSE, EACCES…). */
function listenError(host: string, port: number, error: NodeJS.ErrnoException): GatehouseError {
  return new GatehouseError('ERR_GATEWAY_LISTEN', `gateway.listen: cannot listen on ${host}:${port} (${error.code ?? error.message})`, { cause: error });
}
