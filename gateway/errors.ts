// Errors of the gateway area, with stable codes, and the one table of the HTTP answers they become:
// a call site names the code and says what went wrong; status and title come from here, so the same
// code cannot answer with two statuses.
import { GatehouseError } from '../core/index.js';

/** The codes the gateway answers a request with (JSON `{title, description, code}`). */
export type GatewayAnswerCode =
  | 'ERR_GATEWAY_BAD_FRAMING'
  | 'ERR_GATEWAY_BAD_HOST'
  | 'ERR_GATEWAY_BAD_PATH'
  | 'ERR_GATEWAY_UPGRADE_BODY'
  | 'ERR_GATEWAY_UPGRADE_UNSUPPORTED'
  | 'ERR_GATEWAY_FORBIDDEN'
  | 'ERR_GATEWAY_NO_ROUTE'
  | 'ERR_GATEWAY_NO_CA'
  | 'ERR_GATEWAY_DNS_API_DISABLED'
  | 'ERR_GATEWAY_SERVICE_UNKNOWN'
  | 'ERR_GATEWAY_AGENT_UNKNOWN'
  | 'ERR_GATEWAY_METHOD'
  | 'ERR_GATEWAY_BODY_TIMEOUT'
  | 'ERR_GATEWAY_BODY_TOO_LARGE'
  | 'ERR_GATEWAY_HEADERS_TOO_LARGE'
  | 'ERR_GATEWAY_INTERNAL'
  | 'ERR_GATEWAY_UPSTREAM_FAILED'
  | 'ERR_GATEWAY_SERVICE_UNAVAILABLE'
  | 'ERR_GATEWAY_SNAPSHOT_UNUSABLE'
  | 'ERR_GATEWAY_UPSTREAM_TIMEOUT'
  | 'ERR_GATEWAY_LOG_BAD_REQUEST'
  | 'ERR_GATEWAY_LOG_NOT_FOUND'
  | 'ERR_GATEWAY_METRICS_NOT_FOUND'
  | 'ERR_GATEWAY_AGENT_CALL_INVALID'
  | 'ERR_GATEWAY_AGENT_CALL_MEDIA';

/** Codes that never reach a client as such: startup failures, and upstream/client failures the gateway reports under an answer code. */
export type GatewayInternalCode =
  | 'ERR_GATEWAY_NEEDS_AUTHN'
  | 'ERR_GATEWAY_CONFIG'
  | 'ERR_GATEWAY_LISTEN'
  | 'ERR_GATEWAY_WORKER'
  | 'ERR_GATEWAY_CLIENT_GONE'
  | UpstreamErrorCode;

/** How an exchange with an upstream failed; the dispatcher decides retry and answer by these, never by messages. */
export type UpstreamErrorCode =
  | 'ERR_GATEWAY_ABORTED'
  | 'ERR_GATEWAY_UPSTREAM_BAD_HEADER'
  | 'ERR_GATEWAY_UPSTREAM_BAD_RESPONSE'
  | 'ERR_GATEWAY_UPSTREAM_CLOSED'
  | 'ERR_GATEWAY_UPSTREAM_REFUSED'
  | 'ERR_GATEWAY_UPSTREAM_RESET'
  | 'ERR_GATEWAY_UPSTREAM_TIMED_OUT'
  | 'ERR_GATEWAY_UPSTREAM_UNREACHABLE';

export type GatewayErrorCode = GatewayAnswerCode | GatewayInternalCode;

export class GatewayError extends GatehouseError {
  declare readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A failed upstream exchange, from either engine (the lean client or undici). The socket's own code
 * (ECONNREFUSED, UND_ERR_SOCKET…) is kept beside the stable one because the 502's description names it.
 */
export class UpstreamError extends GatewayError {
  declare readonly code: UpstreamErrorCode;
  readonly socketCode: string | null;

  constructor(code: UpstreamErrorCode, message: string, socketCode: string | null = null) {
    super(code, message);
    this.socketCode = socketCode;
  }
}

const SOCKET_CODES: Readonly<Record<string, UpstreamErrorCode>> = {
  ECONNREFUSED: 'ERR_GATEWAY_UPSTREAM_REFUSED',
  ECONNRESET: 'ERR_GATEWAY_UPSTREAM_RESET',
  EPIPE: 'ERR_GATEWAY_UPSTREAM_RESET',
  ETIMEDOUT: 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
  UND_ERR_CONNECT_TIMEOUT: 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
  UND_ERR_HEADERS_TIMEOUT: 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
  UND_ERR_BODY_TIMEOUT: 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
};

/** An upstream failure named by a socket's or undici's code; codes not listed are an unreachable upstream. */
export function upstreamErrorOf(socketCode: string | null | undefined, message: string): UpstreamError {
  const code = (socketCode && SOCKET_CODES[socketCode]) || (/timeout/i.test(message) ? 'ERR_GATEWAY_UPSTREAM_TIMED_OUT' : 'ERR_GATEWAY_UPSTREAM_UNREACHABLE');
  return new UpstreamError(code, message, socketCode ?? null);
}

export interface GatewayAnswer {
  readonly status: number;
  readonly title: string;
}

export const GATEWAY_ANSWERS: { readonly [C in GatewayAnswerCode]: GatewayAnswer } = {
  ERR_GATEWAY_BAD_FRAMING: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_BAD_HOST: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_BAD_PATH: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_UPGRADE_BODY: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_UPGRADE_UNSUPPORTED: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_FORBIDDEN: { status: 403, title: 'Forbidden' },
  ERR_GATEWAY_NO_ROUTE: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_NO_CA: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_DNS_API_DISABLED: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_SERVICE_UNKNOWN: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_AGENT_UNKNOWN: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_METHOD: { status: 405, title: 'Method Not Allowed' },
  ERR_GATEWAY_BODY_TIMEOUT: { status: 408, title: 'Request Timeout' },
  ERR_GATEWAY_BODY_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  ERR_GATEWAY_HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  ERR_GATEWAY_INTERNAL: { status: 500, title: 'Internal Server Error' },
  ERR_GATEWAY_UPSTREAM_FAILED: { status: 502, title: 'Bad Gateway' },
  ERR_GATEWAY_SERVICE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  ERR_GATEWAY_SNAPSHOT_UNUSABLE: { status: 503, title: 'Service Unavailable' },
  ERR_GATEWAY_UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout' },
  ERR_GATEWAY_LOG_BAD_REQUEST: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_LOG_NOT_FOUND: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_METRICS_NOT_FOUND: { status: 404, title: 'Not Found' },
  ERR_GATEWAY_AGENT_CALL_INVALID: { status: 400, title: 'Bad Request' },
  ERR_GATEWAY_AGENT_CALL_MEDIA: { status: 415, title: 'Unsupported Media Type' },
};

/** The codes that are never an answer, listed so a test can see every code of the union accounted for. */
export const GATEWAY_INTERNAL_CODES: readonly GatewayInternalCode[] = [
  'ERR_GATEWAY_NEEDS_AUTHN', 'ERR_GATEWAY_CONFIG', 'ERR_GATEWAY_LISTEN', 'ERR_GATEWAY_WORKER',
  'ERR_GATEWAY_CLIENT_GONE', 'ERR_GATEWAY_ABORTED', 'ERR_GATEWAY_UPSTREAM_BAD_HEADER', 'ERR_GATEWAY_UPSTREAM_BAD_RESPONSE',
  'ERR_GATEWAY_UPSTREAM_CLOSED', 'ERR_GATEWAY_UPSTREAM_REFUSED', 'ERR_GATEWAY_UPSTREAM_RESET', 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
  'ERR_GATEWAY_UPSTREAM_UNREACHABLE',
];

/** The JSON body of a gateway answer; the key order (title, description, code) is part of the wire format. */
export function gatewayAnswerBody(code: GatewayAnswerCode, description: string): string {
  return JSON.stringify({ title: GATEWAY_ANSWERS[code].title, description, code });
}
