// WebSocket upgrades through the gateway. Each upgrade gets an upstream connection of its own that
// is never pooled: a 101 turns both connections into a tunnel; any other answer is passed to the
// client (framed: its length, or the end of the connection) and then both connections end. An
// upgrade request with a body is refused before anything is sent upstream: after an upgrade's head
// nothing says where a body would end and the new protocol begin (node:http and llhttp hand those
// bytes over as the tunnel's first), and an upstream that reads a declared length that never came
// takes the next request's bytes for it - which was issue 11's authentication bypass. WebSocket
// handshakes have no body (RFC 6455 §4.1), so nothing legitimate is lost; other protocols (h2c
// among them) are refused too: an h2c tunnel would carry requests the gateway never checks.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { unsafeHeaderValue } from './http1/header-safety.js';
import { GATEWAY_ANSWERS, gatewayAnswerBody, type GatewayAnswerCode } from './errors.js';

export interface UpgradeRefusal {
  readonly code: 'ERR_GATEWAY_UPGRADE_BODY' | 'ERR_GATEWAY_UPGRADE_UNSUPPORTED';
  readonly description: string;
}

/** Why this upgrade request is not proxied, or null. Checked before authentication: no upgrade this says no to is ever forwarded. */
export function upgradeRefusal(req: IncomingMessage): UpgradeRefusal | null {
  const headers = req.headers;
  const length = headers['content-length'];
  if (headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0')) {
    return { code: 'ERR_GATEWAY_UPGRADE_BODY', description: 'an upgrade request may not have a body (Content-Length or Transfer-Encoding)' };
  }
  const protocol = (headers.upgrade ?? '').trim().toLowerCase();
  if (req.method !== 'GET' || protocol !== 'websocket') {
    return {
      code: 'ERR_GATEWAY_UPGRADE_UNSUPPORTED',
      description: `only WebSocket upgrades of a GET are proxied, not ${JSON.stringify(headers.upgrade ?? '')} on ${req.method ?? ''}`,
    };
  }
  return null;
}

/** A JSON error on a connection that is no longer an HTTP server's, then the connection ends. */
export function answerUpgradeError(socket: Socket, code: GatewayAnswerCode, description: string): void {
  const { status, title } = GATEWAY_ANSWERS[code];
  const body = gatewayAnswerBody(code, description);
  const head = [
    `HTTP/1.1 ${status} ${title}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** Headers of a non-101 answer not passed on: they describe the upstream connection or its framing (the gateway frames it anew). */
const NOT_PASSED_ON = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'trailer']);
const NOTHING: ReadonlySet<string> = new Set();

/**
 * Sends the upgrade request (its headers already chosen by the caller) on a new connection and
 * ties the two connections together on 101. `head`: bytes the client sent after its request head,
 * sent on once the upstream has switched protocols.
 */
export function proxyUpgrade(socket: Socket, head: Buffer, upstream: URL, path: string, headers: OutgoingHttpHeaders): void {
  const request = (upstream.protocol === 'https:' ? httpsRequest : httpRequest)({
    host: upstream.hostname.replace(/^\[|\]$/g, ''),
    port: upstream.port || (upstream.protocol === 'https:' ? 443 : 80),
    method: 'GET',
    path,
    headers,
    agent: false, // a connection of its own, closed with the upgrade: never back in a pool
    setHost: false,
  });
  let settled = false;
  const cut = (): void => {
    request.destroy();
    socket.destroy();
  };
  socket.once('close', () => request.destroy());
  request.on('error', () => {
    if (settled) return cut();
    settled = true;
    if (!socket.writable) return cut();
    answerUpgradeError(socket, 'ERR_GATEWAY_UPSTREAM_FAILED', `the upstream ${upstream.host} failed to answer the upgrade`);
  });
  request.on('upgrade', (answer: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) => {
    settled = true;
    const tunnelCut = (): void => {
      upstreamSocket.destroy();
      socket.destroy();
    };
    upstreamSocket.on('error', tunnelCut).once('close', tunnelCut);
    socket.on('error', tunnelCut).once('close', tunnelCut);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n${headLines(answer.rawHeaders, NOTHING)}\r\n`);
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
  });
  request.on('response', (answer: IncomingMessage) => {
    // Not switching: the answer goes to the client as an ordinary one, and both connections end.
    settled = true;
    const length = answer.headers['content-length'];
    const framing = length !== undefined ? `Content-Length: ${length}\r\n` : '';
    socket.write(
      `HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\n${headLines(answer.rawHeaders, NOT_PASSED_ON)}${framing}Connection: close\r\n\r\n`,
    );
    answer.on('error', cut);
    answer.on('end', () => {
      answer.socket?.destroy();
      socket.end();
    });
    answer.pipe(socket, { end: false });
  });
  request.end();
}

/** `name: value` lines of an upstream's (llhttp-parsed, so single-line) head, without the names in `skip`. */
function headLines(rawHeaders: readonly string[], skip: ReadonlySet<string>): string {
  let lines = '';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    if (skip.has(name.toLowerCase()) || unsafeHeaderValue(value)) continue;
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/** The upgrade request's headers for the upstream, from the client's (hop-by-hop ones already left out by the caller). */
export function upgradeRequestHeaders(incoming: IncomingHttpHeaders, keep: (name: string) => boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || name === 'content-length' || !keep(name)) continue;
    out[name] = value;
  }
  out['connection'] = 'Upgrade';
  out['upgrade'] = incoming.upgrade ?? 'websocket';
  return out;
}
