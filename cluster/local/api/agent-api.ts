// An agent's own HTTP endpoint (what `/agent/<id>/` and `/slave/<id>/` in the gateway reach), as a
// Mesos agent serves it: `/state`, `/monitor/statistics`, `/metrics/snapshot`, the sandbox files API (`/files/debug`,
// `/files/browse`, `/files/read`, `/files/download`) and the v1 operator API (`POST /api/v1`).
// File paths are confined to the agent's sandboxes (agent/sandbox-files.ts); the calls behind
// `dcos task exec` are agent-exec.ts.
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import type { LocalAgent } from '../agent/agent.js';
import { FilesError, SandboxFiles } from '../agent/sandbox-files.js';
import type { LocalMaster } from '../master/master.js';
import {
  agentTypes,
  AgentCallDecodeError,
  AGENT_MEDIA_TYPES,
  decodeAgentMessage,
  encodeAgentMessage,
  mediaTypeOf,
  RECORDIO,
  type AgentMediaType,
  type AgentMessage,
} from '../../agent-call.js';
import { NestedContainerError } from '../agent/nested-containers.js';
import { AgentCallError, answerCall, isContainerCall, validateCall } from './agent-calls.js';
import { attachInput, fromThisMachineOnly, killContainer, launchSession, waitContainer } from './agent-exec.js';
import { accepts } from './operator-api.js';
import { agentMetricsSnapshot } from './agent-metrics.js';
import { agentState, finishedRuns, monitorStatistics } from './agent-state.js';

/** Bodies of `POST /api/v1` above this are refused (a call is a few hundred bytes). */
const MAX_CALL_BYTES = 1024 * 1024;

export function createAgentHttpServer(agent: LocalAgent, master: LocalMaster): Server {
  const files = new SandboxFiles(agent, () => finishedRuns(agent, master));
  return createServer((request, response) => {
    handle(agent, master, files, request, response).catch((error: unknown) => {
      if (error instanceof FilesError || error instanceof AgentCallError || error instanceof NestedContainerError)
        return sendText(response, error.status, error.message);
      sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) });
    });
  });
}

async function handle(agent: LocalAgent, master: LocalMaster, files: SandboxFiles, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://local');
  // libprocess serves the agent's endpoints under its process id as well: `/slave(1)/state`.
  const path = url.pathname.replace(/^\/slave\(1\)/, '').replace(/\/+$/, '') || '/';
  if (path === '/api/v1') return operatorCall(agent, files, request, response);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return sendJson(response, 405, { message: `${request.method} ${path}: this endpoint is read-only (POST /api/v1 takes agent calls)` });
  }
  const query = (name: string): string | null => url.searchParams.get(name);
  switch (path) {
    case '/state': case '/state.json':
      return sendJson(response, 200, agentState(agent, master));
    case '/monitor/statistics': case '/monitor/statistics.json':
      return sendJson(response, 200, await monitorStatistics(agent, (id) => master.frameworks().find((f) => f.id === id)?.scheduler.name ?? ''));
    case '/metrics/snapshot':
      return sendJson(response, 200, agentMetricsSnapshot(agent));
    case '/health':
      response.writeHead(200);
      return void response.end();
    case '/files/debug':
      return sendJson(response, 200, Object.fromEntries(files.attached()));
    case '/files/browse':
      return sendJson(response, 200, (await files.browse(query('path') ?? '')).map(({ modeBits: _bits, ...info }) => info));
    case '/files/read':
      return sendJson(response, 200, await files.read(query('path') ?? '', query('offset'), query('length')));
    case '/files/download': {
      const requested = query('path') ?? '';
      const { real, size } = await files.download(requested);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'content-disposition': attachment(basename(requested)) });
      if (request.method === 'HEAD' || size === 0) return void response.end();
      // Exactly the size announced: a file that grows meanwhile (a task's stdout) must not overrun it.
      createReadStream(real, { start: 0, end: Math.max(0, size - 1) }).on('error', () => response.destroy()).pipe(response);
      return;
    }
  }
  sendJson(response, 404, { message: `${path}: not an endpoint of this agent` });
}

/**
 * `POST /api/v1`: a call in JSON or protobuf (Content-Type), answered in what Accept allows (JSON when
 * both are, as Mesos); ATTACH_CONTAINER_INPUT alone comes as a RecordIO stream of calls.
 */
async function operatorCall(agent: LocalAgent, files: SandboxFiles, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return sendText(response, 405, `Expecting a 'POST' request, received '${request.method}'`);
  }
  const contentType = mediaTypeOf(request.headers['content-type']);
  const ctx = { agent, request, response };
  if (contentType === RECORDIO) {
    const messageType = mediaTypeOf(request.headers['message-content-type']);
    if (!isAgentMedia(messageType))
      return sendText(response, 415, `Expecting 'Message-Content-Type' of ${AGENT_MEDIA_TYPES.join(' or ')} for a RecordIO stream of calls`);
    fromThisMachineOnly(request, 'ATTACH_CONTAINER_INPUT');
    return attachInput(ctx, messageType);
  }
  if (!isAgentMedia(contentType))
    return sendText(
      response,
      415,
      `Expecting 'Content-Type' of ${AGENT_MEDIA_TYPES.join(' or ')}, or ${RECORDIO} (ATTACH_CONTAINER_INPUT); got ${JSON.stringify(contentType)}`,
    );
  const body = await readBody(request, MAX_CALL_BYTES);
  if (!body) return sendText(response, 413, `the call is larger than ${MAX_CALL_BYTES} bytes`);
  let decoded: AgentMessage;
  try {
    decoded = decodeAgentMessage(body, contentType, agentTypes().call);
  } catch (error) {
    if (error instanceof AgentCallDecodeError) throw new AgentCallError(400, error.message);
    throw error;
  }
  const call = validateCall(decoded);
  if (!isContainerCall(call)) {
    const answerType = AGENT_MEDIA_TYPES.find((type) => accepts(request.headers.accept, type));
    if (!answerType) return sendText(response, 406, `Expecting 'Accept' to allow ${AGENT_MEDIA_TYPES.join(' or ')}`);
    return sendMessage(response, await answerCall(call, agent, files), answerType);
  }
  if (call.type === 'LAUNCH_NESTED_CONTAINER_SESSION') {
    // A stream of records: Accept must allow RecordIO; Message-Accept picks the records' form.
    if (!accepts(request.headers.accept, RECORDIO)) return sendText(response, 406, `Expecting 'Accept' to allow ${RECORDIO}`);
    const messageAccept = request.headers['message-accept'];
    const messageType = AGENT_MEDIA_TYPES.find((type) => accepts(Array.isArray(messageAccept) ? messageAccept.join(',') : messageAccept, type));
    if (!messageType) return sendText(response, 406, `Expecting 'Message-Accept' to allow ${AGENT_MEDIA_TYPES.join(' or ')}`);
    fromThisMachineOnly(request, call.type);
    return launchSession(ctx, call, messageType);
  }
  const answerType = AGENT_MEDIA_TYPES.find((type) => accepts(request.headers.accept, type));
  if (!answerType) return sendText(response, 406, `Expecting 'Accept' to allow ${AGENT_MEDIA_TYPES.join(' or ')}`);
  switch (call.type) {
    case 'KILL_CONTAINER':
    case 'KILL_NESTED_CONTAINER':
      fromThisMachineOnly(request, call.type);
      await killContainer(ctx, call);
      response.writeHead(200, { 'content-length': 0 });
      return void response.end();
    case 'WAIT_CONTAINER':
    case 'WAIT_NESTED_CONTAINER':
      return sendMessage(response, await waitContainer(ctx, call), answerType);
    case 'ATTACH_CONTAINER_INPUT':
      return sendText(response, 415, `ATTACH_CONTAINER_INPUT is a stream: expecting 'Content-Type: ${RECORDIO}'`);
  }
}

function sendMessage(response: ServerResponse, answer: AgentMessage, answerType: AgentMediaType): void {
  const encoded = encodeAgentMessage(agentTypes().response, answer, answerType);
  response.writeHead(200, { 'content-type': answerType, 'content-length': encoded.length });
  response.end(encoded);
}

function isAgentMedia(type: string): type is AgentMediaType {
  return (AGENT_MEDIA_TYPES as readonly string[]).includes(type);
}

/** The whole body, or null past `limit` (then the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.destroy();
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

/** Mesos answers refused requests with a plain-text reason. */
function sendText(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text) + 1,
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  response.end(response.req.method === 'HEAD' ? undefined : `${text}\n`);
}

/**
 * `Content-Disposition` for a sandbox file: a task names its files, and a name with `"`, controls or
 * characters beyond Latin-1 must not break (or make node:http refuse) the header. An ASCII
 * `filename` fallback, and the exact name as RFC 8187 `filename*`.
 */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
