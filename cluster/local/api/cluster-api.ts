// The embedded cluster's HTTP API: Mesos's master endpoints and Marathon's `/v2` API on one port, so
// the `mesos` source (and any Mesos or Marathon client) reads the embedded cluster exactly as it
// reads a real one. Marathon's writes change the app files (marathon-writes.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalMaster } from '../master/master.js';
import { masterState, MESOS_VERSION, stateSummary, type MasterJsonOptions } from './master-json.js';
import type { LocalScheduler, MarathonEvent } from '../scheduler/scheduler.js';
import { OperatorApi, type OperatorApiOptions } from './operator-api.js';
import { rolesJson } from './roles-json.js';
import { createMarathonApi, type MarathonHandler } from './marathon-api.js';
import type { MarathonApiOptions } from './marathon-context.js';

export interface ClusterHttpOptions extends MasterJsonOptions, MarathonApiOptions {
  readonly master: LocalMaster;
  readonly scheduler: LocalScheduler;
  readonly appsDir: string;
  readonly heartbeatMs?: number;
  /** The v1 operator API's settings (logger, limits); see operator-api.ts. */
  readonly operator?: Partial<OperatorApiOptions>;
}

export function createClusterHttpServer(options: ClusterHttpOptions): Server {
  const operator = new OperatorApi({ ...options.operator, master: options.master, clusterName: options.clusterName, workDir: options.workDir });
  const marathon = createMarathonApi(options);
  const server = createServer((request, response) => {
    try {
      const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (path === '/api/v1' || path === '/master/api/v1') return operator.handle(request, response);
      handle(options, marathon, request, response);
    } catch (error) {
      sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  });
  server.keepAliveTimeout = 30_000;
  server.once('close', () => operator.close());
  return server;
}

function handle(options: ClusterHttpOptions, marathon: MarathonHandler, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://local');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const { master } = options;
  if (path === '/v2/events') return events(options, url, request, response);
  if (path.startsWith('/v2/')) return void marathon(request, response, url, path);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return sendJson(response, 405, { message: `${request.method} ${path}: the embedded cluster is read-only over HTTP; declare apps in ${options.appsDir}` });
  }
  switch (path) {
    case '/master/state': case '/state': case '/master/state.json': case '/state.json':
      return sendJson(response, 200, masterState(master, options));
    case '/master/state-summary': case '/state-summary':
      return sendJson(response, 200, stateSummary(master, options));
    case '/master/redirect': case '/redirect':
      response.writeHead(307, { location: `//${master.ip}:${master.port}` });
      return void response.end();
    case '/master/health': case '/health': case '/ping':
      response.writeHead(200, { 'content-type': 'text/plain' });
      return void response.end(path === '/ping' ? 'pong\n' : '');
    case '/version':
      return sendJson(response, 200, { version: MESOS_VERSION, git_sha: 'gatehouse-embedded', build_user: 'gatehouse' });
    case '/master/roles': case '/roles': case '/master/roles.json': case '/roles.json':
      return sendJson(response, 200, rolesJson(master));
    case '/master/slaves':
      return sendJson(response, 200, { slaves: masterState(master, options)['slaves'] });
    case '/master/frameworks':
      return sendJson(response, 200, { frameworks: masterState(master, options)['frameworks'] });
    case '/master/tasks':
      return sendJson(response, 200, { tasks: master.frameworks().flatMap((f) => [...f.tasks.values()]).map((t) => ({ ...t.launch, state: t.state })) });
  }
  sendJson(response, 404, { message: `${path}: not an endpoint of the embedded cluster` });
}

function events(options: ClusterHttpOptions, url: URL, request: IncomingMessage, response: ServerResponse): void {
  const wanted = new Set(url.searchParams.getAll('event_type'));
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Headers now, as Marathon does: when event_type filters out event_stream_attached, nothing else
  // would be written before the first heartbeat, and a client waits that long for its response.
  response.flushHeaders();
  const send = (event: MarathonEvent): void => {
    if (wanted.size > 0 && !wanted.has(event.eventType)) return;
    response.write(`event: ${event.eventType}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  send({ eventType: 'event_stream_attached', timestamp: new Date().toISOString(), remoteAddress: request.socket.remoteAddress ?? '' });
  options.scheduler.on('event', send);
  // A comment now and then keeps idle proxies from closing the stream.
  const heartbeat = setInterval(() => response.write(':\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const stop = (): void => {
    clearInterval(heartbeat);
    options.scheduler.off('event', send);
  };
  request.once('close', stop);
  response.once('close', stop);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}
