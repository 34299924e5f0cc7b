// The login form a person sees (usable without JavaScript, no external assets). The dashboard and
// the index pages are in pages/. Everything interpolated is escaped.
import { Html, html, htmlPage } from './pages/html.js';

export { escapeHtml } from './pages/html.js';
export { dashboardPage, type DashboardInputs, type TaskNamer } from './pages/dashboard.js';

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

/** The form; after a failed login it shows why and keeps the user name typed (never the password). */
export function loginPage(next: string, error?: string, uid = ''): string {
  // The password field takes the focus when the name is already there.
  const focus = (field: 'uid' | 'password') => ((field === 'password') === Boolean(uid) ? new Html(' autofocus') : '');
  return htmlPage('Gatehouse: log in', html`<main class="login"><h1>Gatehouse</h1>
<form method="post" action="/login"><input type="hidden" name="next" value="${safeNext(next)}">
<label for="uid">User</label><input id="uid" name="uid" value="${uid}" autocomplete="username" autocapitalize="none" spellcheck="false" required${focus('uid')}>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${focus('password')}>
<button type="submit">Log in</button>${error ? html`<p class="error" role="alert">${error}</p>` : ''}</form></main>`);
}
