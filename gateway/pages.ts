// The login form a person sees (usable without JavaScript, no external assets). The dashboard and
// the index pages are in pages/. Everything interpolated is escaped.
import { Html, html, htmlPage } from './pages/html.js';

export { escapeHtml } from './pages/html.js';
export { dashboardPage, type DashboardInputs, type TaskNamer } from './pages/dashboard.js';

/** Only same-origin paths may be a `next` target: `/x`, never `//host`, `/\\host` or `http:`. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
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
