// The master's v1 operator API (`POST /api/v1`), checked and negotiated the way Mesos's master does:
// POST only (405), a Content-Type of exactly application/json or application/x-protobuf (400 when
// missing, 415 otherwise), an answer in JSON when the Accept header allows it, else protobuf, else
// 406; a body that does not parse or names no known call is a 400 with the reason in plain text.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LocalMaster } from '../master/master.js';
import type { MasterJsonOptions } from './master-json.js';
import { OperatorEvents } from './operator-events.js';
import { getAgents, getExecutors, getFlags, getFrameworks, getMaster, getState, getTasks, getVersion } from './operator-json.js';
import { CallDecodeError, decodeCall, encodeMessage, type MediaType } from './operator-proto.js';
import { getRoles } from './roles-json.js';

/** Calls are a few bytes; anything near this is not a call. */
export const DEFAULT_MAX_CALL_BYTES = 1024 * 1024;

export interface OperatorApiOptions extends MasterJsonOptions {
  readonly master: LocalMaster;
  readonly logger?: Logger;
  readonly maxCallBytes?: number;
  readonly heartbeatMs?: number;
  readonly maxQueuedBytes?: number;
}

const MEDIA_TYPES: readonly MediaType[] = ['application/json', 'application/x-protobuf'];

export class OperatorApi {
  readonly events: OperatorEvents;
  readonly #options: OperatorApiOptions;

  constructor(options: OperatorApiOptions) {
    this.#options = options;
    this.events = new OperatorEvents({
      master: options.master,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.maxQueuedBytes ? { maxQueuedBytes: options.maxQueuedBytes } : {}),
    });
  }

  close(): void {
    this.events.close();
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      return fail(response, 405, `Expecting a 'POST' request, received '${request.method}'`);
    }
    const contentType = request.headers['content-type'];
    if (!contentType) return fail(response, 400, "Expecting 'Content-Type' to be present");
    if (!(MEDIA_TYPES as readonly string[]).includes(contentType))
      return fail(response, 415, `Expecting 'Content-Type' of ${MEDIA_TYPES.join(' or ')}, received '${contentType}'`);
    const answerType = MEDIA_TYPES.find((type) => accepts(request.headers.accept, type));
    if (!answerType) return fail(response, 406, `Expecting 'Accept' to allow ${MEDIA_TYPES.join(' or ')}`);
    const limit = this.#options.maxCallBytes ?? DEFAULT_MAX_CALL_BYTES;
    if (Number(request.headers['content-length'] ?? 0) > limit) return tooLarge(response, limit);
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        tooLarge(response, limit);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > limit || response.headersSent) return;
      try {
        this.#call(Buffer.concat(chunks), contentType as MediaType, answerType, response);
      } catch (error) {
        fail(response, 500, `operator API: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }

  #call(body: Buffer, contentType: MediaType, answerType: MediaType, response: ServerResponse): void {
    let type: string | number | undefined;
    try {
      type = decodeCall(body, contentType).type;
    } catch (error) {
      if (error instanceof CallDecodeError) return fail(response, 400, error.message);
      throw error;
    }
    if (type === undefined || typeof type === 'number') {
      return fail(response, 400, `Failed to validate master::Call: ${type === undefined ? "Expecting 'type' to be present" : `${type} is not a call type`}`);
    }
    const { master } = this.#options;
    const answers: Record<string, () => Record<string, unknown>> = {
      GET_HEALTH: () => ({ get_health: { healthy: true } }),
      GET_VERSION: () => ({ get_version: getVersion() }),
      GET_FLAGS: () => ({ get_flags: getFlags(master, this.#options) }),
      GET_STATE: () => ({ get_state: getState(master) }),
      GET_AGENTS: () => ({ get_agents: getAgents(master) }),
      GET_FRAMEWORKS: () => ({ get_frameworks: getFrameworks(master) }),
      GET_EXECUTORS: () => ({ get_executors: getExecutors() }),
      GET_TASKS: () => ({ get_tasks: getTasks(master) }),
      GET_ROLES: () => ({ get_roles: getRoles(master) }),
      GET_MASTER: () => ({ get_master: getMaster(master) }),
    };
    if (type === 'SUBSCRIBE') return this.events.subscribe(response, answerType);
    const answer = answers[type];
    if (type === 'UNKNOWN') return fail(response, 400, 'Failed to validate master::Call: UNKNOWN is not a call');
    if (!answer)
      return fail(
        response,
        501,
        `${type} is not implemented by the embedded master (it answers ${[...Object.keys(answers), 'SUBSCRIBE'].join(', ')})`,
      );
    const bytes = encodeMessage('Response', { type, ...answer() }, answerType);
    response.writeHead(200, { 'content-type': answerType, 'content-length': bytes.length });
    response.end(bytes);
  }
}

/**
 * Whether an Accept header allows a media type, as libprocess decides it: no header allows all; the
 * most specific matching range (type/sub, then type/*, then * /*) decides, and q=0 refuses.
 */
export function accepts(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return true;
  const [type] = mediaType.split('/');
  const ranges = new Map<string, number>();
  for (const part of header.replace(/[ \t]/g, '').split(',')) {
    const [range = '', ...params] = part.split(';');
    const q = params.find((p) => p.startsWith('q='));
    ranges.set(range.toLowerCase(), q ? Number(q.slice(2)) : 1);
  }
  for (const candidate of [mediaType, `${type}/*`, '*/*']) {
    const q = ranges.get(candidate);
    if (q !== undefined) return q > 0;
  }
  return false;
}

function fail(response: ServerResponse, status: number, reason: string): void {
  if (response.headersSent) return;
  const body = `${reason}\n`;
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function tooLarge(response: ServerResponse, limit: number): void {
  // The rest of the body is not read: the connection goes once the answer is out.
  response.setHeader('connection', 'close');
  fail(response, 413, `Request body is over the limit of ${limit} bytes for an operator API call`);
  response.once('finish', () => response.req.socket.destroySoon());
}
