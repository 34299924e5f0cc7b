// Proxying with http-proxy over keep-alive agents: streaming (no buffering), WebSocket upgrades,
// X-Forwarded-* and X-Real-IP set, hop-by-hop and DC/OS cookies removed, `Location` rewritten back
// under `/service/<name>/` (Admin Router §6.5), and errors as JSON `{title, description, code}`.
import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';

const DCOS_COOKIES = new Set(['dcos-acs-auth-cookie', 'dcos-acs-info-cookie']);

export interface ProxyTarget {
  readonly upstream: URL;
  readonly path: string;                   // encoded path + query for the upstream request line
  readonly prefix: string;                 // the part of the client path that was stripped ('' when none)
  readonly servicePrefix: string | null;   // `/service/<plain>` for Location rewriting
  readonly timeoutMs: number;
}

export function sendJsonError(res: ServerResponse, status: number, title: string, description: string, code: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ title, description, code });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function withoutDcosCookies(cookie: string | undefined): string | null {
  if (!cookie) return null;
  const kept = cookie.split(';').map((c) => c.trim()).filter((c) => c && !DCOS_COOKIES.has(c.slice(0, c.indexOf('=')).trim()));
  return kept.length ? kept.join('; ') : null;
}

export class Proxy {
  readonly #proxy: httpProxy;
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

  constructor() {
    this.#proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, prependPath: true, ignorePath: true, selfHandleResponse: false });
    this.#proxy.on('proxyReq', (proxyReq, req) => {
      const cookie = withoutDcosCookies(req.headers.cookie);
      if (cookie) proxyReq.setHeader('cookie', cookie);
      else proxyReq.removeHeader('cookie');
      const meta = (req as IncomingMessage & { gatehouse?: { forwarded: Record<string, string> } }).gatehouse;
      for (const [name, value] of Object.entries(meta?.forwarded ?? {})) proxyReq.setHeader(name, value);
    });
    this.#proxy.on('proxyReqWs', (proxyReq, req) => {
      const cookie = withoutDcosCookies(req.headers.cookie);
      if (cookie) proxyReq.setHeader('cookie', cookie);
      else proxyReq.removeHeader('cookie');
    });
    this.#proxy.on('proxyRes', (proxyRes, req) => {
      const meta = (req as IncomingMessage & { gatehouse?: { servicePrefix: string | null; host: string; scheme: string } }).gatehouse;
      const location = proxyRes.headers.location;
      if (!meta?.servicePrefix || !location) return;
      const base = `${meta.scheme}://${meta.host}`;
      const prefix = `${meta.servicePrefix}/`;
      if (location.startsWith(`${base}${prefix}`)) proxyRes.headers.location = location.slice(base.length);
      else if (location.startsWith(`${base}/`)) proxyRes.headers.location = prefix + location.slice(base.length + 1);
      else if (location.startsWith('/') && !location.startsWith('//') && !location.startsWith(prefix)) proxyRes.headers.location = prefix + location.slice(1);
    });
  }

  close(): void {
    this.#proxy.close();
    this.#http.destroy();
    this.#https.destroy();
  }

  web(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, forwarded: Record<string, string>, onError: (error: NodeJS.ErrnoException) => void): void {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    Object.assign(req, { gatehouse: { forwarded, servicePrefix: target.servicePrefix, host, scheme: target.upstream.protocol.replace(':', '') } });
    this.#proxy.web(req, res, {
      target: `${target.upstream.origin}${target.path}`,
      agent: target.upstream.protocol === 'https:' ? this.#https : this.#http,
      proxyTimeout: target.timeoutMs,
      timeout: target.timeoutMs,
      changeOrigin: false,
    }, (error) => onError(error as NodeJS.ErrnoException));
  }

  ws(req: IncomingMessage, socket: Socket, head: Buffer, target: ProxyTarget, forwarded: Record<string, string>): void {
    for (const [name, value] of Object.entries(forwarded)) req.headers[name.toLowerCase()] = value;
    this.#proxy.ws(req, socket, head, { target: `${target.upstream.origin}${target.path}`, agent: target.upstream.protocol === 'https:' ? this.#https : this.#http }, () => socket.destroy());
  }
}
