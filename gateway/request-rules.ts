// Header rules of the gateway's request handling that are not about framing (the parser's job) nor
// about the path (normalize-path.ts): which Host counts, which headers a client may have removed on
// the way upstream, and when `100 Continue` may be sent.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Two `Host` headers: node:http's header object keeps the first and drops the rest, so the gateway
 * would authorise and log one host while a later hop might act on the other. nginx answers 400.
 */
export function duplicateHost(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/**
 * Names a `Connection` header may list as hop-by-hop without effect: the credentials the upstream
 * authorises by, the host it serves, the body's framing and type, and what the gateway itself sets
 * (which it replaces anyway). RFC 9110 §7.6.1 lets a client name any header; a gateway whose job is
 * to pass an authenticated request on cannot let a client strip these from it.
 */
export const END_TO_END: ReadonlySet<string> = new Set([
  'authorization', 'host', 'cookie', 'content-length', 'content-type', 'content-encoding',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'x-real-ip', 'forwarded', 'x-request-id',
]);

/** The request asked for `100 Continue` (HTTP/1.1 only, RFC 9110 §10.1.1), matched as node:http matches it. */
export function expectsContinue(req: { readonly httpVersionMinor?: number; readonly headers: IncomingHttpHeaders }): boolean {
  const expect = req.headers.expect;
  return expect !== undefined && req.httpVersionMinor !== 0 && /(?:^|\W)100-continue(?:$|\W)/i.test(expect);
}

/**
 * The gateway's `Forwarded` element (RFC 7239) for one hop: `for` (an IPv6 address quoted and in
 * brackets), `proto`, and `host` as a quoted string. Only the gateway's own view: what a client
 * claims in its own `Forwarded` header is not passed on, so an upstream never mistakes it for ours.
 */
export function forwardedElement(client: string, proto: string, host: string): string {
  const address = client.startsWith('::ffff:') && client.includes('.') ? client.slice(7) : client;
  const forValue = address.includes(':') ? `"[${address}]"` : address || 'unknown';
  return `for=${forValue};proto=${proto}${host ? `;host="${host.replace(/["\\]/g, '\\$&')}"` : ''}`;
}
