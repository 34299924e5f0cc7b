// Where the gateway listens, with either engine (gateway.engine): the lean HTTP/1.1 server with its
// hot path, or node:http; HTTPS with gateway.tls. Requests the parser refuses are answered here, the
// same way for both: 400 and the connection closed, 431 past gateway.maxHeaderSize, 408 when the
// headers do not arrive in time (15 s, node:http's headersTimeout).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { type ListenAddress } from '../config/index.js';
import { GATEWAY_ANSWERS, GatewayError, gatewayAnswerBody } from './errors.js';
import type { ConnectionLimit } from './connection-limit.js';
import { Http1Server, loadParser, type LeanRequest, type LeanResponse } from './http1/index.js';
import { PipelineGate } from './pipeline-gate.js';

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
  /** gateway.maxConnectionsPerAddress, checked on every new connection before anything is read. */
  readonly connectionLimit: ConnectionLimit;
}

const HEADERS_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export async function listenGateway(options: ListenOptions, handlers: GatewayHandlers): Promise<{ server: Listening; port: number }> {
  const { host, port } = options.listen;
  const clientError = (error: NodeJS.ErrnoException, socket: Socket): void => answerClientError(error, socket, options.maxHeaderSize);
  const lean = options.engine === 'node' ? null : loadParser();
  if (lean && 'error' in lean)
    options.logger.warn({ reason: lean.error }, "gateway.engine lean: Node's HTTP parser is not reachable here; serving with node:http");
  if (lean && 'factory' in lean) {
    const server = new Http1Server({
      factory: lean.factory,
      maxHeaderSize: options.maxHeaderSize,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      tls: options.tls,
      admit: (socket) => options.connectionLimit.admit(socket),
      handlers: { ...handlers, clientError },
    });
    const address = await server.listen(port, host).catch((error: NodeJS.ErrnoException) => {
      throw listenError(host, port, error);
    });
    return { server, port: address.port };
  }
  const limits = { maxHeaderSize: options.maxHeaderSize, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: 0 };
  const gate = new PipelineGate();
  // HTTP/0.9 and 2.x request lines are refused as the lean engine refuses them (node:http would serve them).
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 1) return handlers.request(req, res);
    res.writeHead(400, { connection: 'close', 'content-length': 0 }).end();
  };
  const request = (req: IncomingMessage, res: ServerResponse): void => gate.request(req, res, serve);
  const server: Server = options.tls ? createHttpsServer({ ...limits, ...options.tls }, request) : createServer(limits, request);
  // Before node:http sets the connection up: one over the limit is closed before any of it is read.
  server.prependListener('connection', (socket: Socket) => void options.connectionLimit.admit(socket));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => gate.upgrade(req, socket, head, handlers.upgrade));
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
function answerClientError(error: NodeJS.ErrnoException, socket: HttpSocket, maxHeaderSize: number): void {
  if (!socket.writable) return void socket.destroy();
  // Bytes after a request with `Connection: close` (node:http's parser refuses them): they are
  // ignored, not answered - the answer in flight is the connection's last, and node:http closes
  // the connection after it (a 400 here would have taken that answer's place). Issue 11 item 7.
  if (error.code === 'HPE_CLOSED_CONNECTION') {
    if (!socket._httpMessage) socket.destroy();
    return;
  }
  if (refusing.has(socket)) return;
  refusing.add(socket);
  afterAnswersInFlight(socket, () => answerError(error, socket, maxHeaderSize));
}

/** node:http sockets: the answer being written on it, if any. */
type HttpSocket = Socket & { _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null };
/** Connections whose error answer is already on its way (node:http reports every later bad byte too). */
const refusing = new WeakSet<Socket>();

/**
 * Requests read before the bad bytes are answered first (node:http answers pipelined requests in
 * order on the socket): the error answer goes after theirs, never in their place. The lean engine
 * reports an error only once its earlier answers are out, so for it this runs at once.
 */
function afterAnswersInFlight(socket: HttpSocket, then: () => void): void {
  const inFlight = socket._httpMessage;
  if (!inFlight) return then();
  // The answer in flight is to the request whose body is malformed: the error answer takes its
  // place if nothing of it is out (as node:http itself does), else the connection is cut.
  if (inFlight.req && !inFlight.req.complete) return inFlight.headersSent ? void socket.destroy() : then();
  // node:http hands the socket to the next queued answer in its own 'finish' listener: look again after that.
  inFlight.once('finish', () => setImmediate(() => afterAnswersInFlight(socket, then)));
}

function answerError(error: NodeJS.ErrnoException, socket: Socket, maxHeaderSize: number): void {
  if (!socket.writable) return void socket.destroy();
  const answer = (text: string): void => void socket.end(text, () => socket.destroy());
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return answer('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  if (error.code !== 'HPE_HEADER_OVERFLOW') return answer('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  const { status, title } = GATEWAY_ANSWERS.ERR_GATEWAY_HEADERS_TOO_LARGE;
  const body = gatewayAnswerBody(
    'ERR_GATEWAY_HEADERS_TOO_LARGE',
    `the request line and headers are larger than ${maxHeaderSize} bytes (gateway.maxHeaderSize)`,
  );
  answer(`HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A listen failure that names the key to change (the code stays in the message: EADDRINUSE, EACCES…). */
function listenError(host: string, port: number, error: NodeJS.ErrnoException): GatewayError {
  return new GatewayError('ERR_GATEWAY_LISTEN', `gateway.listen: cannot listen on ${host}:${port} (${error.code ?? error.message})`, { cause: error });
}
