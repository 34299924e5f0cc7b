// The HTML a person sees: the login form (usable without JavaScript, no external assets) and a
// small dashboard of services and agents. Everything interpolated is escaped.
import type { Snapshot } from '../cluster/snapshot.js';
import { normalizeServiceName } from './service-resolver.js';
import type { RouteFileStatus } from './route-files.js';
import { domainFrag, sanitizeLabel } from '../dns/index.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>` +
  `<style>body{font:15px system-ui,sans-serif;max-width:52rem;margin:3rem auto;padding:0 1rem;color:#1d2330}form{display:grid;gap:.6rem;max-width:20rem}` +
  `input,button{font:inherit;padding:.45rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}.error{color:#a40000}</style>` +
  `</head><body>${body}</body></html>`;

const NEXT_BASE = 'http://gatehouse.invalid';

/**
 * Only same-origin paths may be a `next` target: `/x`, never `//host`, `/\\host` or `http:`. The
 * value ends up in a `Location` header, so it is re-serialised by the WHATWG URL parser, which
 * percent-encodes non-ASCII, controls and spaces (`/€` → `/%E2%82%AC`); anything that is then still
 * not printable ASCII on this origin falls back to `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, NEXT_BASE);
  } catch {
    return '/';
  }
  if (url.origin !== NEXT_BASE) return '/'; // `/\t/host`: the parser drops the tab, and `//host` is another origin
  const target = `${url.pathname}${url.search}${url.hash}`;
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(target) ? target : '/';
}

export function loginPage(next: string, error?: string): string {
  return page(
    'Gatehouse: log in',
    `<h1>Gatehouse</h1><form method="post" action="/login"><input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">` +
      `<label>User <input name="uid" autocomplete="username" required></label>` +
      `<label>Password <input name="password" type="password" autocomplete="current-password" required></label>` +
      `<button type="submit">Log in</button>${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}</form>`,
  );
}

export interface DashboardInputs {
  readonly uid: string;
  readonly snapshot: Snapshot | null;
  readonly snapshotState: string;
  readonly domain: string | null;          // DNS domain when DNS is on: tasks show their names
  readonly routeFiles: readonly RouteFileStatus[];
}

export function dashboardPage(inputs: DashboardInputs): string {
  const { snapshot, domain } = inputs;
  const services = new Map<string, { name: string; dns: string; tasks: { id: string; health: string; address: string }[] }>();
  const agentIps = new Map((snapshot?.agents ?? []).map((a) => [a.id, a.ips[0] ?? '']));
  for (const framework of snapshot?.frameworks ?? []) {
    for (const task of framework.tasks) {
      if (task.state !== 'TASK_RUNNING') continue;
      const name = task.labels.find((l) => l.key === 'DCOS_SERVICE_NAME')?.value ?? (task.appId ? normalizeServiceName(task.appId) : task.name);
      // The name DNS publishes for the task (Mesos-DNS rules, RFC 1123 labels).
      const dns = domain ? `${sanitizeLabel(task.discovery?.name || task.name)}.${domainFrag(framework.name)}.${domain}` : '';
      const entry = services.get(name) ?? { name, dns, tasks: [] };
      entry.tasks.push({ id: task.id, health: task.health, address: `${agentIps.get(task.agentId) ?? ''}${task.resources.ports[0] ? `:${task.resources.ports[0]}` : ''}` });
      services.set(name, entry);
    }
  }
  const rows = [...services.values()].sort((a, b) => a.name.localeCompare(b.name)).map((svc) =>
    `<tr><td><a href="/service/${svc.name.split('.').reverse().map(encodeURIComponent).join('/')}/">${escapeHtml(svc.name)}</a></td><td>${escapeHtml(svc.dns)}</td>` +
    `<td>${svc.tasks.map((t) => `${escapeHtml(t.address)} <small>(${escapeHtml(t.health)})</small>`).join('<br>')}</td></tr>`).join('');
  const agents = (snapshot?.agents ?? []).map((a) => `<tr><td>${escapeHtml(a.hostname || a.id)}</td><td>${escapeHtml(a.ips.join(', '))}</td></tr>`).join('');
  const routes = inputs.routeFiles.flatMap((f) => [
    ...f.routes.map((r) => `<tr><td>${escapeHtml(r.path)}</td><td><a href="${escapeHtml(r.path)}">${escapeHtml(r.name)}</a></td><td>${escapeHtml(f.file)}</td><td>${f.status === 'ok' ? 'ok' : 'last good version (file has errors)'}</td></tr>`),
    ...f.errors.map((e) => `<tr class="error"><td colspan="4">${escapeHtml(e)}</td></tr>`),
  ]).join('');
  return page(
    'Gatehouse',
    `<h1>Gatehouse</h1><p>Logged in as <b>${escapeHtml(inputs.uid)}</b>. Cluster snapshot: ${escapeHtml(inputs.snapshotState)}. ` +
      `<form method="post" action="/acs/api/v1/auth/logout" style="display:inline"><button>Log out</button></form></p>` +
      `<h2>Services</h2><table><tr><th>service</th><th>DNS name</th><th>tasks</th></tr>${rows || '<tr><td colspan="3">none</td></tr>'}</table>` +
      `<h2>Agents</h2><table><tr><th>agent</th><th>addresses</th></tr>${agents || '<tr><td colspan="2">none</td></tr>'}</table>` +
      `<h2>Routes</h2><table><tr><th>path</th><th>route</th><th>file</th><th>status</th></tr>${routes || '<tr><td colspan="4">no route files</td></tr>'}</table>`,
  );
}
