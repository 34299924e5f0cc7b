// The dashboard at `/` for a logged-in person: services, tasks (state, health, sandbox files), agents
// and route files, with links to the cluster's own UIs. A small script re-reads `/` every few
// seconds and swaps the live part in, so the one server-side renderer (which escapes) is the only one.
import { buildVipTable, type Agent, type Framework, type Snapshot, type Task } from '../../cluster/index.js';
import type { FileRoute, RouteFileStatus } from '../route-files.js';
import { normalizeServiceName } from '../service-resolver.js';
import { Html, html, htmlPage, table } from './html.js';

/** A task's DNS name, or null when DNS does not publish one; handed in by whoever wires DNS. */
export type TaskNamer = (task: Task, framework: Framework) => string | null;

export interface DashboardInputs {
  readonly uid: string;
  readonly snapshot: Snapshot | null;
  readonly snapshotState: string;
  readonly taskName: TaskNamer | null;
  readonly routeFiles: readonly RouteFileStatus[];
  /** mesh.vipRange when the mesh is on: then the VIPs are listed. */
  readonly vipRange?: string | null;
}

/** How often the page re-reads itself. */
export const REFRESH_MS = 5000;
/** Past this many tasks the table is cut (running ones first): the page is re-read every few seconds. */
const MAX_TASKS = 300;

// Re-reads `/` and swaps #live in; a page without #live means the session ended: reload to the form.
const REFRESH_SCRIPT = `(() => {
  let busy = false;
  setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch('/', { cache: 'no-store', credentials: 'same-origin' });
      const next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('live');
      const live = document.getElementById('live');
      if (!next) return location.reload();
      if (live && live.innerHTML !== next.innerHTML) live.replaceWith(document.adoptNode(next));
    } catch {
      // the gateway is restarting or the network is down: try again at the next tick
    } finally {
      busy = false;
    }
  }, ${REFRESH_MS});
})();`;

export function dashboardPage(inputs: DashboardInputs): string {
  return htmlPage('Gatehouse', html`${headerBar(inputs.uid)}<main>${live(inputs)}</main>`, REFRESH_SCRIPT);
}

/** The bar every logged-in page starts with: the cluster's UIs and the logout button. */
export function headerBar(uid: string): Html {
  return html`<header class="bar"><b>Gatehouse</b><nav>
<a href="/mesos/">Mesos</a><a href="/marathon/">Marathon</a><a href="/agent/">Agents</a><a href="/gatehouse/v1/routes">Routes (JSON)</a></nav>
<form method="post" action="/acs/api/v1/auth/logout"><span>Logged in as <b>${uid}</b></span><button>Log out</button></form></header>`;
}

function live(inputs: DashboardInputs): Html {
  const { snapshot } = inputs;
  const frameworks = snapshot?.frameworks ?? [];
  const summary = snapshot
    ? html`Cluster snapshot ${snapshot.generation} from ${snapshot.source.kind} (${inputs.snapshotState}), taken ${new Date(snapshot.fetchedAt).toISOString()}.`
    : html`No cluster snapshot yet (${inputs.snapshotState}).`;
  return html`<div id="live"><p>${summary} <small>This page refreshes itself every ${REFRESH_MS / 1000} s.</small></p>
<h2>Services</h2>${servicesTable(frameworks, inputs.taskName)}
<h2>Tasks</h2>${tasksTable(snapshot, inputs.taskName)}
${inputs.vipRange ? html`<h2>VIPs</h2>${vipsTable(snapshot, inputs.vipRange)}` : ''}
<h2>Agents</h2>${agentsTable(snapshot)}
<h2>Route files</h2>${routeFilesTable(inputs.routeFiles)}</div>`;
}

/** The name `/service/<name>/` routes by: DCOS_SERVICE_NAME, else the Marathon app id, else the task name. */
function serviceNameOf(task: Task): string {
  return task.labels.find((l) => l.key === 'DCOS_SERVICE_NAME')?.value ?? (task.appId ? normalizeServiceName(task.appId) : task.name);
}

function servicesTable(frameworks: readonly Framework[], taskName: TaskNamer | null): Html {
  const services = new Map<string, { dns: Set<string>; running: number }>();
  for (const framework of frameworks) {
    for (const task of framework.tasks) {
      if (task.state !== 'TASK_RUNNING') continue;
      const name = serviceNameOf(task);
      const entry = services.get(name) ?? { dns: new Set<string>(), running: 0 };
      const dns = taskName?.(task, framework);
      if (dns) entry.dns.add(dns);
      entry.running += 1;
      services.set(name, entry);
    }
  }
  const rows = [...services].sort(([a], [b]) => a.localeCompare(b)).map(([name, svc]) => [
    html`<a href="${servicePath(name)}">${name}</a>`,
    html`${[...svc.dns].map((d, i) => html`${i ? html`<br>` : ''}<code>${d}</code>`)}`,
    svc.running,
  ]);
  return table(['service', 'DNS name', 'running tasks'], rows, 'no running service');
}

/** `/service/<name>/` for a service name; a dotted name (`b.a`, from app `/a/b`) is a path (`a/b`). */
function servicePath(name: string): string {
  return `/service/${name.split('.').reverse().map(encodeURIComponent).join('/')}/`;
}

function tasksTable(snapshot: Snapshot | null, taskName: TaskNamer | null): Html {
  const agents = new Map((snapshot?.agents ?? []).map((a) => [a.id, a]));
  const all = (snapshot?.frameworks ?? []).flatMap((framework) => framework.tasks.map((task) => ({ task, framework })));
  const running = (t: Task) => (t.state === 'TASK_RUNNING' ? 0 : 1);
  const shown = all.sort((a, b) => running(a.task) - running(b.task) || a.task.id.localeCompare(b.task.id)).slice(0, MAX_TASKS);
  const rows = shown.map(({ task, framework }) => {
    const agent = agents.get(task.agentId);
    const ip = agent?.ips[0] ?? '';
    const address = ip ? `${ip.includes(':') ? `[${ip}]` : ip}${task.resources.ports[0] ? `:${task.resources.ports[0]}` : ''}` : '';
    return [
      html`<a href="${consoleUrl(task.id)}" title="console: live log, scale, restart"><code>${task.id}</code></a><br><small>${framework.name} &middot; ${
        task.appId ?? task.name
      }</small>`,
      html`<span class="${task.state === 'TASK_RUNNING' ? 'ok' : 'bad'}">${task.state.replace(/^TASK_/, '').toLowerCase()}</span>`,
      html`<span class="${task.health === 'healthy' ? 'ok' : task.health === 'unhealthy' ? 'bad' : 'muted'}">${task.health}</span>`,
      html`<code>${address}</code>`,
      html`<code>${taskName?.(task, framework) ?? ''}</code>`,
      sandboxLinks(task),
    ];
  });
  const cut = all.length > shown.length ? html`<p class="muted">${all.length - shown.length} more tasks not shown.</p>` : '';
  return html`${table(['task', 'state', 'health', 'address', 'DNS name', 'sandbox'], rows, 'no tasks')}${cut}`;
}

/** A task's console page (pages/task-console.ts). */
export function consoleUrl(taskId: string): string {
  return `/?task=${encodeURIComponent(taskId)}`;
}

/** The mesh's VIPs (the same pure table the mesh serves) and the labels it ignored. */
function vipsTable(snapshot: Snapshot | null, vipRange: string): Html {
  const vips = snapshot ? buildVipTable(snapshot, { range: vipRange }) : { vips: [], problems: [] };
  const rows = vips.vips.map((v) => [
    html`<code>${v.name ?? v.address}:${v.port}</code><br><small>${v.protocol} &middot; ${v.apps.join(', ')}</small>`,
    html`<code>${v.address}:${v.port}</code>`,
    v.backends.length ? html`<code>${v.backends.map((b) => `${b.ip}:${b.port}`).join(' ')}</code>` : html`<span class="bad">no backend</span>`,
  ]);
  const problems = vips.problems.map((p) => html`<p class="bad">${p.app} ${p.label}: ${p.message}</p>`);
  return html`${table(['VIP', 'address', 'backends'], rows, 'no VIPs (port labels VIP_0: "/name:port")')}${problems}`;
}

/**
 * The task's sandbox files through the agent's files API, by Mesos's virtual path for an executor's
 * latest run (`/frameworks/<fw>/executors/<executor>/runs/latest`). A command task's executor id is
 * its task id, which is what the snapshot knows.
 */
export function sandboxUrl(task: Pick<Task, 'id' | 'frameworkId' | 'agentId'>, file: string, how: 'read' | 'download'): string {
  const path = `/frameworks/${task.frameworkId}/executors/${task.id}/runs/latest/${file}`;
  return `/agent/${encodeURIComponent(task.agentId)}/files/${how}?path=${encodeURIComponent(path)}${how === 'read' ? '&offset=0' : ''}`;
}

export function sandboxLinks(task: Task): Html {
  const link = (file: string, how: 'read' | 'download', text: string) =>
    html`<a href="${sandboxUrl(task, file, how)}"${how === 'download' ? new Html(' download') : ''}>${text}</a>`;
  return html`${link('stdout', 'read', 'stdout')} &middot; ${link('stderr', 'read', 'stderr')} &middot; ${link('stdout', 'download', 'download')}`;
}

const inactive = html` <small class="bad">inactive</small>`;

function agentsTable(snapshot: Snapshot | null): Html {
  const tasks = new Map<string, { running: number; all: number }>();
  for (const framework of snapshot?.frameworks ?? []) {
    for (const task of framework.tasks) {
      const count = tasks.get(task.agentId) ?? { running: 0, all: 0 };
      count.all += 1;
      if (task.state === 'TASK_RUNNING') count.running += 1;
      tasks.set(task.agentId, count);
    }
  }
  const rows = (snapshot?.agents ?? []).map((agent) => {
    const count = tasks.get(agent.id) ?? { running: 0, all: 0 };
    return [
      html`<a href="/agent/${encodeURIComponent(agent.id)}/state"><code>${agent.id}</code></a>${agent.active ? '' : inactive}`,
      hostAndIps(agent),
      resourcesText(agent.resources),
      `${count.running} running${count.all > count.running ? `, ${count.all - count.running} other` : ''}`,
    ];
  });
  return table(['agent', 'host', 'resources', 'tasks'], rows, 'no agents');
}

/** The agent's host name, and its addresses when they say something more. */
export function hostAndIps(agent: Pick<Agent, 'hostname' | 'ips'>): Html {
  const ips = agent.ips.join(', ');
  return ips && ips !== agent.hostname ? html`${agent.hostname}<br><small>${ips}</small>` : html`${agent.hostname || ips}`;
}

/** Mesos's resources object as text: `cpus 2 · mem 2048 MB · disk 10240 MB · ports [31000-32000]`. */
export function resourcesText(resources: Readonly<Record<string, unknown>>): string {
  const unit: Record<string, string> = { mem: ' MB', disk: ' MB', gpus: '' };
  return Object.entries(resources)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'string')
    .map(([key, value]) => `${key} ${typeof value === 'number' ? Math.round(value * 100) / 100 : String(value)}${unit[key] ?? ''}`)
    .join(' · ');
}

/** `/grafana/ grafana → http://127.0.0.1:3000/`, the path a link. */
function routeText(route: FileRoute): Html {
  const target = route.service ? `service ${route.service}` : route.to.map((u) => u.href).join(', ');
  return html`<a href="${route.path}">${route.path}</a> ${route.name} &rarr; ${target}${route.auth === 'none' ? ' (no login)' : ''}`;
}

function routeFilesTable(files: readonly RouteFileStatus[]): Html {
  const rows = files.map((file) => [
    html`<code>${file.file}</code>`,
    file.status === 'ok' ? html`<span class="ok">ok</span>` : html`<span class="bad">errors: its last good routes serve</span>`,
    file.routes.length ? html`${file.routes.map((r, i) => html`${i ? html`<br>` : ''}${routeText(r)}`)}` : html`<span class="muted">no routes</span>`,
    html`${file.errors.map((e, i) => html`${i ? html`<br>` : ''}<span class="bad">${e}</span>`)}`,
  ]);
  return table(['file', 'status', 'routes', 'errors'], rows, 'no route files (gateway.routes is empty)');
}
