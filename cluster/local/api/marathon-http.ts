// HTTP plumbing of the embedded Marathon API: bounded JSON bodies, Marathon's error bodies
// (`{"message": …, "details": [{"path": "/cpus", "errors": [...]}]}`) and its query flags.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AppProblem } from '../apps/app-definition.js';

/** Bodies above this are refused with 413 (an app definition is a few KB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class MarathonHttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(String(body['message']));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export const notFound = (message: string): MarathonHttpError => new MarathonHttpError(404, { message });
export const conflict = (message: string, extra: Record<string, unknown> = {}): MarathonHttpError => new MarathonHttpError(409, { message, ...extra });

/** 422 as Marathon's validation answers it: one entry per path, Marathon's path spelling (`/healthChecks(0)/portIndex`). */
export function invalid(problems: readonly Pick<AppProblem, 'path' | 'message'>[], message = 'Object is not valid'): MarathonHttpError {
  const byPath = new Map<string, string[]>();
  for (const p of problems) {
    const path = marathonPath(p.path);
    byPath.set(path, [...(byPath.get(path) ?? []), p.message]);
  }
  return new MarathonHttpError(422, { message, details: [...byPath].map(([path, errors]) => ({ path, errors })) });
}

/** `healthChecks[0].portIndex` → `/healthChecks(0)/portIndex`; the app itself is `/`. */
export function marathonPath(keyPath: string): string {
  if (!keyPath) return '/';
  return `/${keyPath.replace(/\[(\d+)\]/g, '.($1)').split('.').filter(Boolean).join('/').replace(/\/\(/g, '(')}`;
}

/** A query flag as Marathon's Jersey reads it: `true` in any case (the Python CLI sends `True`). */
export function flag(url: URL, name: string, fallback = false): boolean {
  const value = url.searchParams.get(name);
  return value === null ? fallback : value.toLowerCase() === 'true';
}

/** The request's JSON body; an empty body is `empty` (or 400 when a body is required). */
export async function readJson(request: IncomingMessage, empty?: unknown): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    throw new MarathonHttpError(413, { message: `Request body of ${declared} bytes exceeds the limit of ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      request.resume();
      throw new MarathonHttpError(413, { message: `Request body exceeds the limit of ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) {
    if (empty !== undefined) return empty;
    throw new MarathonHttpError(400, { message: 'Invalid JSON', details: [{ path: '/', errors: ['the request has no body; send a JSON object'] }] });
  }
  const type = String(request.headers['content-type'] ?? 'application/json');
  if (!/json/i.test(type)) throw new MarathonHttpError(415, { message: `Unsupported Media Type ${type}: send application/json` });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MarathonHttpError(400, { message: 'Invalid JSON', details: [{ path: '/', errors: [(error as Error).message] }] });
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'content-length': Buffer.byteLength(text), ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

/** `{"deploymentId", "version"}` with the `Marathon-Deployment-Id` header, as Marathon answers a change. */
export function sendDeployment(response: ServerResponse, status: number, deployment: { id: string; version: string }, body?: unknown): void {
  sendJson(response, status, body ?? { deploymentId: deployment.id, version: deployment.version }, { 'marathon-deployment-id': deployment.id });
}

/**
 * Whether a client address is this machine (loopback, or one of its interfaces' addresses). The API
 * port has no authentication of its own: changes, which run commands, are taken only from here
 * (the gateway, which authenticates them, or local tools), even when the port listens more widely.
 */
export function isThisMachine(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, '');
  if (plain === '::1' || /^127\./.test(plain)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === plain));
}
