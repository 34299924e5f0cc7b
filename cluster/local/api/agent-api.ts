// An agent's own HTTP endpoint (what `/agent/<id>/` and `/slave/<id>/` in the gateway reach), as a
// Mesos agent serves it: `/state`, `/monitor/statistics`, `/metrics/snapshot`, the sandbox files API (`/files/debug`,
// `/files/browse`, `/files/read`, `/files/download`) and the v1 operator API (`POST /api/v1`).
// File paths are confined to the agent's sandboxes (agent/sandbox-files.ts).
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import type { LocalAgent } from '../agent/agent.js';
import { FilesError, SandboxFiles } from '../agent/sandbox-files.js';
import type { LocalMaster } from '../master/master.js';
import { AgentCallError, answerCall, JSON_CODEC, validateCall, type AgentCallCodec } from './agent-calls.js';
import { agentMetricsSnapshot } from './agent-metrics.js';
import { agentState, finishedRuns, monitorStatistics } from './agent-state.js';

/** Bodies of `POST /api/v1` above this are refused (a call is a few hundred bytes). */
const MAX_CALL_BYTES = 1024 * 1024;

export function createAgentHttpServer(agent: LocalAgent, master: LocalMaster): Server {
  const files = new SandboxFiles(agent, () => finishedRuns(agent, master));
  return createServer((request, response) => {
    handle(agent, master, files, request, response).catch((error: unknown) => {
      if (error instanceof FilesError || error instanceof AgentCallError) return sendText(response, error.status, error.message);
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

/** `POST /api/v1`: the codec by Content-Type (and Accept), the call checked, then answered. */
async function operatorCall(agent: LocalAgent, files: SandboxFiles, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return sendText(response, 405, `Expecting a 'POST' request, received '${request.method}'`);
  }
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const codec = codecFor(contentType);
  if (!codec)
    return sendText(
      response,
      415,
      `Expecting 'Content-Type' of application/json (got ${JSON.stringify(contentType)}); protobuf agent calls are not answered yet`,
    );
  const accept = request.headers.accept ?? '*/*';
  if (!/(^|,)\s*(application\/json|application\/\*|\*\/\*)/i.test(accept))
    return sendText(response, 406, `Expecting 'Accept' to allow application/json (got ${JSON.stringify(accept)})`);
  const body = await readBody(request, MAX_CALL_BYTES);
  if (!body) return sendText(response, 413, `the call is larger than ${MAX_CALL_BYTES} bytes`);
  const answer = await answerCall(validateCall(codec.decode(body)), agent, files);
  const encoded = codec.encode(answer);
  response.writeHead(200, { 'content-type': codec.mediaType, 'content-length': encoded.length });
  response.end(encoded);
}

function codecFor(contentType: string): AgentCallCodec | null {
  return contentType === JSON_CODEC.mediaType ? JSON_CODEC : null;
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
