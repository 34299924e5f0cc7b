// Marathon's writes on the embedded cluster. Each one changes the app files (the source of truth)
// through the AppFileWriter, waits until the catalog has read the change back (so the scheduler has
// started its deployment), and answers as Marathon does: 201/200 with `deploymentId` and `version`,
// 409 while a deployment of the app runs (unless `force=true`), 422 with the field's path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppFileError, type AppFileWriter } from '../apps/app-file-writer.js';
import { resolveId } from '../apps/app-definition.js';
import { compactJson } from '../apps/app-json.js';
import { UNSUPPORTED_APP_KEYS } from '../apps/app-keys.js';
import type { Deployment } from '../scheduler/deployments.js';
import { appMissing, parseTimestamp, type AppRoute, type MarathonContext } from './marathon-context.js';
import { conflict, flag, invalid, isThisMachine, MarathonHttpError, notFound, readJson, sendDeployment, sendJson } from './marathon-http.js';
import { taskJson } from './marathon-json.js';

type Raw = Record<string, unknown>;

/** Fields of Marathon's AppInfo that a client may send back (a GET edited and PUT) but that are not definition. */
const OUTPUT_ONLY = new Set([
  'version',
  'versionInfo',
  'tasksStaged',
  'tasksRunning',
  'tasksHealthy',
  'tasksUnhealthy',
  'deployments',
  'tasks',
  'lastTaskFailure',
  'taskStats',
  'readinessCheckResults',
]);

export async function handleWrite(
  ctx: MarathonContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  path: string,
  route: AppRoute | null,
): Promise<void> {
  const method = request.method ?? 'GET';
  if (!isThisMachine(request.socket.remoteAddress)) {
    throw new MarathonHttpError(403, {
      message:
        `${method} ${path}: changes are accepted from this machine only (through the gateway, which authenticates them), ` +
        `not from ${request.socket.remoteAddress ?? 'an unknown address'}`,
    });
  }
  if (route?.appId === null && method === 'POST') return create(ctx, request, response, url);
  if (route?.appId) {
    const appId = route.appId;
    if (route.part === 'app' && (method === 'PUT' || method === 'PATCH')) return update(ctx, request, response, url, appId);
    if (route.part === 'app' && method === 'DELETE') return remove(ctx, response, url, appId);
    if (route.part === 'restart' && method === 'POST') return restart(ctx, request, response, url, appId);
    if (route.part === 'tasks' && method === 'DELETE') return killAppTasks(ctx, response, url, appId, route.item);
  }
  if (path === '/v2/tasks/delete' && method === 'POST') return deleteTasks(ctx, request, response, url);
  const deployment = /^\/v2\/deployments\/([^/]+)$/.exec(path);
  if (deployment && method === 'DELETE') return deleteDeployment(ctx, response, url, decodeURIComponent(deployment[1]!));
  throw new MarathonHttpError(405, { message: `${method} is not allowed on ${path}` });
}

async function create(ctx: MarathonContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const body = definitionBody(await readJson(request));
  if (typeof body['id'] !== 'string') throw invalid([{ path: 'id', message: body['id'] === undefined ? 'an app needs an id' : 'must be a string' }]);
  const appId = appIdOf(body['id']);
  // Checked in turn with the other changes: of two creations sent together, the second is told so.
  const exists = (): void => {
    if (ctx.app(appId)) throw conflict(`An app with id [${appId}] already exists.`);
  };
  const deployment = await deploy(ctx, appId, flag(url, 'force'), (writer) => writer.put(appId, body, { create: true }), true, exists);
  const app = ctx.app(appId);
  const info = app ? { ...ctx.render(app, false), deployments: [{ id: deployment.id }] } : { id: appId, deployments: [{ id: deployment.id }] };
  response.setHeader('location', `/v2/apps${appId}`);
  sendDeployment(response, 201, deployment, info);
}

async function update(ctx: MarathonContext, request: IncomingMessage, response: ServerResponse, url: URL, appId: string): Promise<void> {
  const raw = await readJson(request);
  const exists = ctx.app(appId) !== null;
  if (request.method === 'PATCH' && !exists) throw appMissing(appId);
  if (isObject(raw) && raw['id'] !== undefined && (typeof raw['id'] !== 'string' || appIdOf(raw['id']) !== appId)) {
    throw invalid([{ path: 'id', message: `the id in the body (${JSON.stringify(raw['id'])}) is not the app's id in the path (${appId})` }]);
  }
  // Marathon: a `version` in the body is a rollback to that version; every other field is ignored then.
  if (isObject(raw) && raw['version'] !== undefined) {
    if (!exists) throw appMissing(appId);
    const found = ctx.apps.versions.find(appId, parseTimestamp(String(raw['version'])));
    if (!found) throw notFound(`App '${appId}' does not exist in version ${String(raw['version'])}`);
    const deployment = await deploy(ctx, appId, flag(url, 'force'), (writer) => writer.put(appId, compactJson(found.definition), { create: false }));
    return sendDeployment(response, 200, deployment);
  }
  const body = definitionBody(raw);
  const partial = request.method === 'PATCH' || flag(url, 'partialUpdate', true);
  const deployment = await deploy(ctx, appId, flag(url, 'force'), async (writer) => {
    const current = exists ? await writer.read(appId) : null;
    await writer.put(appId, partial && current ? merge(current, body) : body, { create: true });
  });
  sendDeployment(response, exists ? 200 : 201, deployment);
}

async function remove(ctx: MarathonContext, response: ServerResponse, url: URL, appId: string): Promise<void> {
  if (!ctx.app(appId)) throw appMissing(appId);
  // Marathon's code defaults `force` to true here (its RAML says false): a removal is not held up.
  const deployment = await deploy(ctx, appId, flag(url, 'force', true), (writer) => writer.remove(appId));
  sendDeployment(response, 200, deployment);
}

async function restart(ctx: MarathonContext, request: IncomingMessage, response: ServerResponse, url: URL, appId: string): Promise<void> {
  await readJson(request, {});
  if (!ctx.app(appId)) throw appMissing(appId);
  // Nothing changes in the file: a restart is a new version of the same definition.
  const deployment = await deploy(ctx, appId, flag(url, 'force'), async () => void ctx.apps.restart(appId), false);
  sendDeployment(response, 200, deployment);
}

async function killAppTasks(ctx: MarathonContext, response: ServerResponse, url: URL, appId: string, taskId: string | null): Promise<void> {
  const app = ctx.app(appId);
  if (!app) throw appMissing(appId);
  const host = url.searchParams.get('host');
  const tasks =
    taskId === null
      ? [...app.tasks.values()].filter((t) => !host || host === '*' || t.host === host)
      : [app.tasks.get(taskId)].filter((t) => t !== undefined);
  if (taskId !== null && tasks.length === 0) throw notFound(`Task '${taskId}' does not exist`);
  const ids = tasks.map((t) => t.id);
  if (!flag(url, 'scale')) {
    const killed = ctx.scheduler.killTasks(appId, ids, { scale: false });
    return sendJson(response, 200, taskId === null ? { tasks: killed.map(taskJson) } : { task: taskJson(killed[0] ?? tasks[0]!) });
  }
  if (flag(url, 'wipe')) throw new MarathonHttpError(400, { message: 'You cannot use scale and wipe at the same time.' });
  sendDeployment(response, 200, await killAndScale(ctx, url, appId, ids));
}

async function deleteTasks(ctx: MarathonContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const body = await readJson(request);
  const ids = isObject(body) ? body['ids'] : undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw invalid([{ path: 'ids', message: 'must be a list of task ids' }]);
  const byApp = new Map<string, string[]>();
  for (const app of ctx.scheduler.apps()) {
    const own = (ids as string[]).filter((id) => app.tasks.has(id));
    if (own.length) byApp.set(app.definition.id, own);
  }
  const scale = flag(url, 'scale');
  if (scale && flag(url, 'wipe')) throw new MarathonHttpError(400, { message: 'You cannot use scale and wipe at the same time.' });
  if (!scale)
    return sendJson(response, 200, {
      tasks: [...byApp].flatMap(([appId, own]) => ctx.scheduler.killTasks(appId, own, { scale: false }).map(taskJson)),
    });
  let last: Deployment | null = null;
  for (const [appId, own] of byApp) last = await killAndScale(ctx, url, appId, own);
  if (!last) return sendJson(response, 200, { tasks: [] });
  sendDeployment(response, 200, last);
}

/** Kills these tasks and writes the app with that many fewer instances (these tasks go, no others). */
function killAndScale(ctx: MarathonContext, url: URL, appId: string, taskIds: readonly string[]): Promise<Deployment> {
  return deploy(ctx, appId, flag(url, 'force'), async (writer) => {
    const current = await writer.read(appId);
    if (!current) throw appMissing(appId);
    const instances = typeof current['instances'] === 'number' ? current['instances'] : 1;
    ctx.scheduler.killTasks(appId, taskIds, { scale: true });
    await writer.put(appId, { ...current, instances: Math.max(0, instances - taskIds.length) }, { create: false });
  });
}

async function deleteDeployment(ctx: MarathonContext, response: ServerResponse, url: URL, id: string): Promise<void> {
  const running = ctx.scheduler.deployments.get(id);
  if (!running) throw notFound(`DeploymentPlan ${id} does not exist`);
  if (flag(url, 'force')) {
    ctx.scheduler.deployments.stop(id);
    return sendJson(response, 202, undefined);
  }
  // A rollback: the app's file goes back to what it was before the deployment (or away, for a new app).
  const { appId, original } = running;
  const deployment = await deploy(ctx, appId, true, (writer) =>
    original === null ? writer.remove(appId) : writer.put(appId, compactJson(original), { create: true }),
  );
  sendDeployment(response, 200, deployment);
}

/**
 * Runs a write unless a deployment of the app is running (409 without force), and returns the
 * deployment it started. A write that changes nothing still gets a deployment, finished at once.
 */
function deploy(
  ctx: MarathonContext,
  appId: string,
  force: boolean,
  write: (writer: AppFileWriter) => Promise<void>,
  needsFiles = true,
  check?: () => void,
): Promise<Deployment> {
  // One change at a time: the lock check and the deployment it starts are one step, so of two
  // changes of an app sent together the second sees the first's deployment (409 without force).
  const previous = queues.get(ctx) ?? Promise.resolve();
  const run = previous.then(() => {
    check?.();
    return deployNow(ctx, appId, force, write, needsFiles);
  });
  queues.set(
    ctx,
    run.catch(() => undefined),
  );
  return run;
}

const queues = new WeakMap<MarathonContext, Promise<unknown>>();

async function deployNow(
  ctx: MarathonContext,
  appId: string,
  force: boolean,
  write: (writer: AppFileWriter) => Promise<void>,
  needsFiles: boolean,
): Promise<Deployment> {
  const { deployments } = ctx.scheduler;
  const locked = deployments.forApp(appId);
  if (locked && !force) {
    throw conflict(
      `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${locked.id}'.`,
      { deployments: [{ id: locked.id }] },
    );
  }
  if (needsFiles && !ctx.writer)
    throw new MarathonHttpError(405, {
      message: 'the apps of this cluster do not come from app files, so they cannot be changed over HTTP',
    });
  const before = deployments.latestFor(appId);
  try {
    await write(ctx.writer!);
  } catch (error) {
    if (!(error instanceof AppFileError)) throw error;
    if (error.code === 'ERR_CLUSTER_APP_FILE_INVALID') throw invalid(error.problems, error.message);
    if (error.code === 'ERR_CLUSTER_APP_FILE_NOT_FOUND') throw notFound(error.message);
    throw conflict(error.message);
  }
  const after = deployments.latestFor(appId);
  if (after && after !== before) return after;
  const current = ctx.apps.current(appId);
  return deployments.done(appId, 'ScaleApplication', current?.version ?? new Date().toISOString(), current?.definition ?? null);
}

/** The definition part of a body: output-only fields, nulls (Marathon's "not given") and empty unsupported keys dropped. */
function definitionBody(raw: unknown): Raw {
  if (!isObject(raw)) throw invalid([{ path: '', message: `expected an app definition (a JSON object), got ${Array.isArray(raw) ? 'a list' : typeof raw}` }]);
  const out: Raw = {};
  for (const [key, value] of Object.entries(raw)) {
    if (OUTPUT_ONLY.has(key) || value === null) continue;
    if (Object.hasOwn(UNSUPPORTED_APP_KEYS, key) && isEmpty(value)) continue;
    out[key] = value;
  }
  return out;
}

/** Marathon's partial update: the given fields replace the app's; a command or port style replaces the other style. */
function merge(current: Raw, update: Raw): Raw {
  const out: Raw = { ...current };
  if ('cmd' in update) delete out['args'];
  if ('args' in update) delete out['cmd'];
  if ('ports' in update) delete out['portDefinitions'];
  if ('portDefinitions' in update) delete out['ports'];
  return { ...out, ...update };
}

function appIdOf(raw: string): string {
  const id = resolveId(raw, '/', true);
  if ('error' in id) throw invalid([{ path: 'id', message: id.error }]);
  return id.id;
}

function isObject(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}
