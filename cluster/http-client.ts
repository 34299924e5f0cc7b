// One HTTP(S) request from a cluster source to a master or Marathon, on node:http and node:https.
// Node's global fetch would do, but its first successful request loads Node's internal undici and
// compiles llhttp's WebAssembly: measured on Node 20, ~0.3 CPU-s and ~35 MB of RSS at every start of a
// process that reads the embedded cluster (bench/README.md, "Start-up"). This does what the sources asked of fetch: headers, a
// string body, an abort signal, redirects followed as fetch follows them (or handed back), gzip,
// deflate and br answers decoded, and the body as a stream (RecordIO, server-sent events).
// TLS uses Node's default trust (the system's roots plus NODE_EXTRA_CA_CERTS), as fetch does.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export interface HttpCallOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** `follow` (the default) as fetch's redirect: 'follow'; `manual` hands a redirect back as the answer. */
  readonly redirect?: 'follow' | 'manual';
}

export interface HttpAnswer {
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly status: number;
  /** 2xx. */
  readonly ok: boolean;
  readonly headers: IncomingHttpHeaders;
  /** The body, decoded; read it whole or call discard(). */
  readonly body: AsyncIterable<Buffer>;
  /** Drops the body and its connection (an answer not wanted, or a stream not to be read on). */
  discard(): void;
}

/** A request that got no HTTP answer: refused, reset, aborted, a bad redirect; `cause` is the socket's error. The caller names the URL. */
export class HttpCallError extends Error {}

// fetch's limit, from the Fetch standard.
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Headers fetch drops when a redirect leaves the origin, and those that describe a body dropped with it.
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
// A stream is decoded as it arrives (a gzipped event stream flushes per event), as undici decodes it.
const SYNC_FLUSH = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };

export async function httpCall(url: string, options: HttpCallOptions = {}): Promise<HttpAnswer> {
  let target = parseUrl(url);
  let method = options.method ?? 'GET';
  let body = options.body;
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...lowerCased(options.headers ?? {}) };
  for (let redirects = 0; ; redirects++) {
    const response = await send(target, method, headers, body, options.signal);
    const location = response.headers.location;
    if (options.redirect === 'manual' || !REDIRECTS.has(response.statusCode ?? 0) || !location) return answer(target, response, options.signal);
    response.destroy();
    if (redirects >= MAX_REDIRECTS) throw new HttpCallError(`more than ${MAX_REDIRECTS} redirects`);
    const next = parseUrl(location, target);
    const status = response.statusCode!;
    if ((status === 303 && method !== 'GET') || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) delete headers[name];
    }
    if (next.origin !== target.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
    target = next;
  }
}

/**
 * What went wrong on the wire, short: the socket's code (ECONNREFUSED, ECONNRESET, a TLS verification
 * code) when it has one; otherwise the message (Node's ERR_* codes and Gatehouse's say less than it).
 */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  for (const code of [cause?.code, (error as { code?: unknown } | null)?.code]) {
    if (typeof code === 'string' && !code.startsWith('ERR_') && code !== 'ABORT_ERR') return code;
  }
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** `text` resolved against `base` (a redirect's Location may be relative, or `//host:port/path`). */
function parseUrl(text: string, base?: URL): URL {
  const what = base ? `the redirect to "${text}"` : `"${text}"`;
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new HttpCallError(`${what} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpCallError(`${what} is not an http or https URL`);
  return url;
}

function lowerCased(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/**
 * A kept-alive connection the server closed while it sat in the pool fails the next request at once
 * (ECONNRESET, EPIPE): a GET is sent again on the next connection; a POST is not, it may have been read.
 */
async function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
  for (;;) {
    const sent = await sendOnce(url, method, headers, body, signal);
    if (!('stale' in sent)) return sent.response;
    if (method !== 'GET') throw sent.stale;
  }
}

function sendOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal?: AbortSignal,
): Promise<{ response: IncomingMessage } | { stale: HttpCallError }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const sized = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers: sized });
    const onAbort = (): void => {
      request.destroy(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('response', (response) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ response });
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(abortError(signal, error));
      const failure = new HttpCallError(describeNetworkError(error), { cause: error });
      if (request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) resolve({ stale: failure });
      else reject(failure);
    });
    request.end(body);
  });
}

function answer(url: URL, response: IncomingMessage, signal?: AbortSignal): HttpAnswer {
  // An abort after the headers ends the body's stream with the abort's error.
  const onAbort = (): void => void response.destroy(abortError(signal!));
  if (signal) {
    signal.addEventListener('abort', onAbort, { once: true });
    response.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  const status = response.statusCode ?? 0;
  return {
    url: url.href,
    status,
    ok: status >= 200 && status < 300,
    headers: response.headers,
    body: decoded(response),
    discard: () => void response.destroy(),
  };
}

function decoded(response: IncomingMessage): AsyncIterable<Buffer> {
  const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip(SYNC_FLUSH)
      : encoding === 'deflate'
        ? createInflate(SYNC_FLUSH)
        : encoding === 'br'
          ? createBrotliDecompress({ flush: constants.BROTLI_OPERATION_FLUSH, finishFlush: constants.BROTLI_OPERATION_FLUSH })
          : null;
  if (!decoder) return response;
  // Errors of either side end the other; the iterator sees the first.
  return pipeline(response, decoder, () => undefined);
}

function abortError(signal: AbortSignal, cause?: unknown): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new HttpCallError('the request was aborted', { cause: cause ?? reason });
}
