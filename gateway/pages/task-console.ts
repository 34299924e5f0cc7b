// A task's console at `/?task=<id>`: its state, health, sandbox files and resources (used: the agent's
// `/monitor/statistics`, read by the page), its stdout or stderr followed live through the log
// service (server-sent events), and for a Marathon app its tasks, a scale control and a restart
// button, which call Marathon's API through the gateway with the session cookie. The cookie is
// SameSite=Lax, so another site's page cannot make these calls with it (as for every other write).
import type { Framework, Snapshot, Task } from '../../cluster/index.js';
import { consoleUrl, headerBar, sandboxLinks, type TaskNamer } from './dashboard.js';
import { Html, html, htmlPage, table } from './html.js';

export interface TaskConsoleInputs {
  readonly uid: string;
  readonly snapshot: Snapshot | null;
  readonly taskId: string;
  readonly taskName: TaskNamer | null;
  /** The task's app as the page knew it (`&app=`): a task that ended is gone, its app's tasks still shown. */
  readonly appHint?: string | null;
}

/** How often the console re-reads its live part (state, health, the app's tasks). */
export const CONSOLE_REFRESH_MS = 2000;
/** Lines kept in the log view; older ones are dropped as new ones come. */
const MAX_LOG_LINES = 2000;

export function taskConsolePage(inputs: TaskConsoleInputs): string {
  const found = findTask(inputs.snapshot, inputs.taskId);
  const appId = found ? found.task.appId : (inputs.appHint ?? null);
  const controls = appId
    ? html`<h2>App <code>${appId}</code></h2>
<div class="controls"><button type="button" id="scale-down" aria-label="one instance fewer">&minus;</button>
<input id="instances" type="number" min="0" step="1" inputmode="numeric" aria-label="instances" value="${appInstances(inputs.snapshot, appId)}">
<button type="button" id="scale-up" aria-label="one instance more">+</button><button type="button" id="scale">Scale</button>
<button type="button" id="restart">Restart</button></div><p id="console-status" role="status"></p>`
    : '';
  const body = html`${headerBar(inputs.uid)}<main id="console" data-task="${inputs.taskId}" data-agent="${found?.task.agentId ?? ''}" data-app="${appId ?? ''}">
<p><a href="/">&larr; Dashboard</a></p><h1>Task <code>${inputs.taskId}</code></h1>
${live(inputs, found, appId)}
<p>Used: <span id="usage" class="muted">&hellip;</span></p>
${controls}
<h2>Log</h2><div class="tabs" role="group" aria-label="file"><button type="button" data-file="stdout" aria-pressed="true">stdout</button>
<button type="button" data-file="stderr" aria-pressed="false">stderr</button> <span id="log-state" class="muted"></span></div>
<pre id="log" class="log" aria-live="polite"></pre></main>`;
  return htmlPage(`Gatehouse: task ${inputs.taskId}`, body, consoleScript());
}

function findTask(snapshot: Snapshot | null, taskId: string): { task: Task; framework: Framework } | null {
  for (const framework of snapshot?.frameworks ?? []) for (const task of framework.tasks) if (task.id === taskId) return { task, framework };
  return null;
}

/** Instances the app has (its definition when known, else its running tasks). */
function appInstances(snapshot: Snapshot | null, appId: string): number {
  const app = snapshot?.apps.find((a) => a.id === appId);
  if (app) return app.instances;
  return appTasks(snapshot, appId).filter((t) => t.task.state === 'TASK_RUNNING').length;
}

function appTasks(snapshot: Snapshot | null, appId: string): { task: Task; framework: Framework }[] {
  return (snapshot?.frameworks ?? []).flatMap((framework) => framework.tasks.filter((t) => t.appId === appId).map((task) => ({ task, framework })));
}

function live(inputs: TaskConsoleInputs, found: { task: Task; framework: Framework } | null, appId: string | null): Html {
  const siblings = appId ? appTasks(inputs.snapshot, appId) : [];
  const rows = siblings.map(({ task: t }) => [
    t.id === inputs.taskId ? html`<code>${t.id}</code> <small>(this task)</small>` : html`<a href="${consoleUrl(t.id)}"><code>${t.id}</code></a>`,
    html`<span class="${t.state === 'TASK_RUNNING' ? 'ok' : 'bad'}">${stateText(t)}</span>`,
    t.health,
  ]);
  const tasks = appId
    ? html`<div id="app-tasks"><h2>Tasks of <code>${appId}</code></h2>${table(['task', 'state', 'health'], rows, 'no tasks')}</div>`
    : '';
  if (!found) {
    return html`<div id="live"><p class="bad">Task ${inputs.taskId} is not in the cluster's current state (it ended, or never ran).</p>${tasks}</div>`;
  }
  const { task, framework } = found;
  const facts = table(['state', 'health', 'agent', 'resources', 'DNS name', 'sandbox'], [[
    html`<span id="task-state" class="${task.state === 'TASK_RUNNING' ? 'ok' : 'bad'}">${stateText(task)}</span>`,
    html`<span class="${task.health === 'healthy' ? 'ok' : task.health === 'unhealthy' ? 'bad' : 'muted'}">${task.health}</span>`,
    html`<code>${task.agentId}</code>`,
    `cpus ${task.resources.cpus} · mem ${task.resources.mem} MB${task.resources.ports.length ? ` · ports ${task.resources.ports.join(', ')}` : ''}`,
    html`<code>${inputs.taskName?.(task, framework) ?? ''}</code>`,
    sandboxLinks(task),
  ]], '');
  return html`<div id="live">${facts}${tasks}</div>`;
}

function stateText(task: Task): string {
  return task.state.replace(/^TASK_/, '').toLowerCase();
}

// Follows the log (EventSource re-connects with Last-Event-ID by itself), re-reads the page's live
// part, shows the task's use from its agent, and sends the app's scale and restart calls.
function consoleScript(): string {
  return `(() => {
  const main = document.getElementById('console');
  const task = main.dataset.task, agent = main.dataset.agent, app = main.dataset.app;
  const log = document.getElementById('log'), logState = document.getElementById('log-state');
  let source = null;
  const follow = (file) => {
    if (source) source.close();
    log.textContent = '';
    for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-pressed', String(b.dataset.file === file));
    logState.textContent = 'following ' + file;
    source = new EventSource('/system/v1/logs/v2/task/' + encodeURIComponent(task) + '/file/' + file + '?cursor=END&skip=-200');
    source.onmessage = (event) => {
      let line;
      try { line = JSON.parse(event.data).fields.MESSAGE; } catch { return; }
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(line + '\\n');
      while (log.childNodes.length > ${MAX_LOG_LINES}) log.firstChild.remove();
      if (atEnd) log.scrollTop = log.scrollHeight;
    };
    source.onerror = () => {
      // The service ends the stream when the task ends: re-connecting then would only repeat that.
      const state = document.getElementById('task-state');
      if (!state || state.textContent !== 'running') source.close();
      logState.textContent = source.readyState === EventSource.CLOSED ? 'the log has ended (the task is not running)' : 'reconnecting…';
    };
    source.onopen = () => { logState.textContent = 'following ' + file; };
  };
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => follow(b.dataset.file));
  follow('stdout');

  const usage = document.getElementById('usage');
  const showUsage = async () => {
    if (!agent) return;
    try {
      const res = await fetch('/agent/' + encodeURIComponent(agent) + '/monitor/statistics', { credentials: 'same-origin', cache: 'no-store' });
      const entry = (await res.json()).find((e) => e.executor_id === task);
      if (!entry) { usage.textContent = 'not reported by the agent'; return; }
      const s = entry.statistics;
      const mb = (b) => (b / 1048576).toFixed(1) + ' MB';
      usage.textContent = 'CPU ' + (s.cpus_user_time_secs + s.cpus_system_time_secs).toFixed(2) + ' s · memory ' +
        mb(s.mem_total_bytes ?? s.mem_rss_bytes ?? 0) + (s.mem_limit_bytes ? ' of ' + mb(s.mem_limit_bytes) : '');
    } catch { usage.textContent = 'not available'; }
  };

  let busy = false;
  const refresh = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const url = new URL(location.href);
      if (app) url.searchParams.set('app', app);
      const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      const next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('live');
      const current = document.getElementById('live');
      if (!next) return location.reload();
      if (current && current.innerHTML !== next.innerHTML) current.replaceWith(document.adoptNode(next));
      await showUsage();
    } catch {
      // the gateway is restarting or the network is down: try again at the next tick
    } finally {
      busy = false;
    }
  };
  showUsage();
  setInterval(refresh, ${CONSOLE_REFRESH_MS});

  if (!app) return;
  const status = document.getElementById('console-status'), instances = document.getElementById('instances');
  const say = (text, bad) => { status.textContent = text; status.className = bad ? 'bad' : 'ok'; status.setAttribute('role', bad ? 'alert' : 'status'); };
  const appPath = '/marathon/v2/apps' + app.split('/').map(encodeURIComponent).join('/');
  const call = async (what, method, path, body) => {
    say(what + '…', false);
    try {
      const res = await fetch(path, {
        method, credentials: 'same-origin',
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch {}
      if (!res.ok) throw new Error((json && (json.message || json.description)) || text.trim() || res.status + ' ' + res.statusText);
      say(what + ': deployment ' + ((json && json.deploymentId) || 'started'), false);
    } catch (error) {
      say(what + ' failed: ' + error.message, true);
    }
  };
  const count = () => Math.max(0, Math.floor(Number(instances.value) || 0));
  document.getElementById('scale-down').addEventListener('click', () => { instances.value = String(Math.max(0, count() - 1)); });
  document.getElementById('scale-up').addEventListener('click', () => { instances.value = String(count() + 1); });
  document.getElementById('scale').addEventListener('click', () => {
    const n = Number(instances.value);
    if (!Number.isInteger(n) || n < 0) return say('instances must be a whole number of 0 or more (got ' + JSON.stringify(instances.value) + ')', true);
    call('Scale to ' + n, 'PUT', appPath, { instances: n });
  });
  document.getElementById('restart').addEventListener('click', () => call('Restart', 'POST', appPath + '/restart'));
})();`;
}
