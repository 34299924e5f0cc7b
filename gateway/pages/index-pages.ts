// What `/agent/`, and `/mesos/` and `/marathon/` of the embedded cluster, answer: an index of what is
// there (agents; the API endpoints) instead of a bare 404. HTML for a browser, JSON for a client
// that asks for it with `Accept: application/json`.
import type { Snapshot } from '../../cluster/index.js';
import type { ResponseSink } from '../http1/index.js';
import type { ProxyRequest } from '../proxy.js';
import { hostAndIps, resourcesText } from './dashboard.js';
import { html, htmlPage, table, type Html } from './html.js';

export interface IndexAnswer {
  readonly kind: 'index';
  readonly route: 'index';
  readonly html: string;
  readonly json: unknown;
}

function answer(title: string, intro: string, body: Html, json: unknown): IndexAnswer {
  const menu = html`<nav><a href="/">Dashboard</a><a href="/mesos/">Mesos</a><a href="/marathon/">Marathon</a><a href="/agent/">Agents</a></nav>`;
  const page = htmlPage(title, html`<header class="bar"><b>Gatehouse</b>${menu}</header><main><h1>${title}</h1><p>${intro}</p>${body}</main>`);
  return { kind: 'index', route: 'index', html: page, json };
}

export function agentsIndex(snapshot: Snapshot): IndexAnswer {
  const agents = snapshot.agents.map((agent) => {
    const base = `/agent/${encodeURIComponent(agent.id)}`;
    return { id: agent.id, hostname: agent.hostname, ips: agent.ips, active: agent.active, resources: agent.resources, state: `${base}/state` };
  });
  const rows = agents.map((a) => [
    html`<a href="${a.state}"><code>${a.id}</code></a>`,
    hostAndIps(a),
    resourcesText(a.resources),
    html`<a href="${a.state}">state</a>`,
  ]);
  return answer(
    'Agents',
    'Each agent answers Mesos\'s agent API under /agent/<id>/: /state, and its sandbox files under /files/browse, /files/read and /files/download.',
    table(['agent', 'host', 'resources', 'API'], rows, 'no agents'),
    { agents },
  );
}

const EMBEDDED_MESOS = [
  ['master/state', 'the whole state: agents, frameworks, tasks'],
  ['master/state-summary', 'agents and frameworks with task counts'],
  ['master/slaves', 'agents'],
  ['master/frameworks', 'frameworks and their tasks'],
  ['master/tasks', 'tasks'],
  ['version', 'the Mesos version it answers as'],
  ['master/health', 'health (200 when up)'],
] as const;

const EMBEDDED_MARATHON = [
  ['v2/apps?embed=apps.tasks', 'apps with their tasks'],
  ['v2/tasks', 'tasks'],
  ['v2/queue', 'tasks waiting for an offer'],
  ['v2/info', 'the scheduler\'s name, version and framework id'],
  ['v2/leader', 'the leading instance'],
  ['v2/events', 'the event stream (text/event-stream)'],
] as const;

/** The embedded cluster serves APIs but no web UI: its root gets a list of them. */
export function embeddedApiIndex(which: 'mesos' | 'marathon'): IndexAnswer {
  const endpoints = (which === 'mesos' ? EMBEDDED_MESOS : EMBEDDED_MARATHON).map(([path, what]) => ({ path: `/${which}/${path}`, what }));
  const title = which === 'mesos' ? 'Mesos (embedded master)' : 'Marathon (embedded scheduler)';
  return answer(
    title,
    'The embedded cluster has no web UI; these are its API endpoints, through the gateway.',
    table(['endpoint', 'what'], endpoints.map((e) => [html`<a href="${e.path}"><code>${e.path}</code></a>`, e.what]), 'none'),
    { endpoints },
  );
}

export function sendIndex(req: ProxyRequest, res: ResponseSink, index: IndexAnswer): void {
  const accept = req.headers.accept ?? '';
  const json = /application\/json/.test(accept) && !/text\/html/.test(accept);
  const body = json ? JSON.stringify(index.json) : index.html;
  const type = json ? 'application/json' : 'text/html; charset=utf-8';
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
