// The HTML a person sees: the login form (usable without JavaScript, no external assets) and a
// small dashboard of services and agents. Everything interpolated is escaped.
import type { Snapshot } from '../cluster/snapshot.js';
import { normalizeServiceName } from './service-resolver.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>` +
  `<style>body{font:15px system-ui,sans-serif;max-width:52rem;margin:3rem auto;padding:0 1rem;color:#1d2330}form{display:grid;gap:.6rem;max-width:20rem}` +
  `input,button{font:inherit;padding:.45rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}.error{color:#a40000}</style>` +
  `</head><body>${body}</body></html>`;

/** Only same-origin paths may be a `next` target: `/x`, never `//host`, `/\\host` or `http:`. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
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

export function dashboardPage(uid: string, snapshot: Snapshot | null): string {
  const services = new Map<string, number>();
  for (const task of snapshot?.frameworks.flatMap((f) => f.tasks) ?? []) {
    if (task.state !== 'TASK_RUNNING') continue;
    const name = task.labels.find((l) => l.key === 'DCOS_SERVICE_NAME')?.value ?? (task.appId ? normalizeServiceName(task.appId) : task.name);
    services.set(name, (services.get(name) ?? 0) + 1);
  }
  const rows = [...services].sort().map(([name, count]) => `<tr><td><a href="/service/${encodeURIComponent(name)}/">${escapeHtml(name)}</a></td><td>${count}</td></tr>`).join('');
  const agents = (snapshot?.agents ?? []).map((a) => `<tr><td>${escapeHtml(a.hostname || a.id)}</td><td>${escapeHtml(a.ips.join(', '))}</td></tr>`).join('');
  return page(
    'Gatehouse',
    `<h1>Gatehouse</h1><p>Logged in as <b>${escapeHtml(uid)}</b>. <form method="post" action="/acs/api/v1/auth/logout" style="display:inline"><button>Log out</button></form></p>` +
      `<h2>Services</h2><table><tr><th>service</th><th>running tasks</th></tr>${rows || '<tr><td colspan="2">none</td></tr>'}</table>` +
      `<h2>Agents</h2><table><tr><th>agent</th><th>addresses</th></tr>${agents || '<tr><td colspan="2">none</td></tr>'}</table>`,
  );
}
