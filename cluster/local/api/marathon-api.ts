// Marathon's `/v2` API of the embedded cluster: the reads here, the writes in marathon-writes.ts.
// Answers and errors are Marathon's (DC/OS tools and go-marathon read them); app versions are its
// timestamps, from the version history the app files build.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppFileWriter, type WritableAppFiles } from '../apps/app-file-writer.js';
import { deploymentJson } from '../scheduler/deployments.js';
import type { AppState } from '../scheduler/scheduler.js';
import { appMissing, appRoute, parseTimestamp, type AppRoute, type MarathonApiOptions, type MarathonContext } from './marathon-context.js';
import { findGroup, groupJson, groupTree } from './marathon-groups.js';
import { MarathonHttpError, notFound, sendJson } from './marathon-http.js';
import { appJson, MARATHON_VERSION, queueJson, taskJson } from './marathon-json.js';
import { handleWrite } from './marathon-writes.js';

export type MarathonHandler = (request: IncomingMessage, response: ServerResponse, url: URL, path: string) => Promise<void>;

export function createMarathonApi(options: MarathonApiOptions): MarathonHandler {
  const files = options.apps.inner as Partial<WritableAppFiles>;
  const writable = typeof files.dir === 'string' && typeof files.loadedDigest === 'function' && typeof files.reload === 'function';
  const started = new Date().toISOString();
  const context: MarathonContext = {
    ...options,
    writer: writable ? new AppFileWriter(files as WritableAppFiles) : null,
    app: (id) => options.scheduler.apps().find((a) => a.definition.id === id) ?? null,
    extras: (app) => {
      const deployment = options.scheduler.deployments.forApp(app.definition.id);
      const current = options.apps.current(app.definition.id);
      return { ...(current ? { lastConfigChangeAt: current.lastConfigChangeAt } : {}), deployments: deployment ? [deployment.id] : [] };
    },
    render: (app, embedTasks) => appJson(app, embedTasks, context.extras(app)),
  };
  return async (request, response, url, path) => {
    try {
      const route = appRoute(path);
      if (request.method === 'GET' || request.method === 'HEAD') read(context, url, path, route, response, started);
      else await handleWrite(context, request, response, url, path, route);
    } catch (error) {
      if (error instanceof MarathonHttpError) return sendJson(response, error.status, error.body, error.headers);
      options.logger?.error({ err: error, path }, 'Marathon API request failed');
      sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  };
}

function read(ctx: MarathonContext, url: URL, path: string, route: AppRoute | null, response: ServerResponse, started: string): void {
  const { master, scheduler } = ctx;
  if (route?.appId === null) {
    const embed = url.searchParams.getAll('embed').some((e) => e === 'apps.tasks' || e === 'app.tasks');
    const idFilter = url.searchParams.get('id');
    const cmdFilter = url.searchParams.get('cmd');
    const listed = scheduler
      .apps()
      .filter((a) => (!idFilter || a.definition.id.includes(idFilter)) && (!cmdFilter || (a.definition.cmd ?? '').includes(cmdFilter)));
    return sendJson(response, 200, { apps: listed.map((a) => ctx.render(a, embed)) });
  }
  if (route?.appId) {
    const app = ctx.app(route.appId);
    if (!app) throw appMissing(route.appId);
    if (route.part === 'tasks') return sendJson(response, 200, { tasks: [...app.tasks.values()].map(taskJson) });
    if (route.part === 'versions') return sendJson(response, 200, versionsJson(ctx, app, route.item));
    if (route.part === 'app') return sendJson(response, 200, { app: ctx.render(app, true) });
    throw new MarathonHttpError(405, { message: `GET is not allowed on ${path}; use POST` }, { allow: 'POST' });
  }
  const deployment = /^\/v2\/deployments\/(.+)$/.exec(path);
  const group = /^\/v2\/groups(\/.*)?$/.exec(path);
  if (group) {
    const id = `/${decodeURIComponent(group[1] ?? '').split('/').filter(Boolean).join('/')}`;
    const found = findGroup(groupTree(scheduler.apps()), id);
    if (!found) throw notFound(`Group '${id}' does not exist`);
    return sendJson(response, 200, groupJson(found, (a) => ctx.render(a, false), started));
  }
  switch (path) {
    case '/v2/tasks':
      return sendJson(response, 200, { tasks: scheduler.apps().flatMap((app) => [...app.tasks.values()].map(taskJson)) });
    case '/v2/queue':
      return sendJson(response, 200, queueJson(scheduler.apps(), (app) => scheduler.missing(app), ctx.extras));
    case '/v2/deployments':
      return sendJson(response, 200, scheduler.deployments.list().map(deploymentJson));
    case '/v2/leader':
      return sendJson(response, 200, { leader: `${master.ip}:${master.port}` });
    case '/v2/info':
      return sendJson(response, 200, {
        name: 'marathon',
        version: MARATHON_VERSION,
        buildref: 'gatehouse-embedded',
        elected: true,
        leader: `${master.ip}:${master.port}`,
        frameworkId: scheduler.frameworkId,
        marathon_config: {
          master: `http://${master.ip}:${master.port}`,
          mesos_leader_ui_url: `http://${master.ip}:${master.port}/`,
          framework_name: 'marathon',
          max_versions: 50,
        },
        http_config: { http_port: master.port },
        event_subscriber: { type: 'sse' },
      });
  }
  if (deployment) throw notFound(`DeploymentPlan ${decodeURIComponent(deployment[1]!)} does not exist`);
  throw notFound(`URI not found: ${path} is not an endpoint of the embedded Marathon API`);
}

function versionsJson(ctx: MarathonContext, app: AppState, item: string | null): unknown {
  const id = app.definition.id;
  if (item === null) return { versions: ctx.apps.versions.list(id).map((v) => v.version) };
  const at = parseTimestamp(item);
  const found = ctx.apps.versions.find(id, at);
  if (!found) throw notFound(`App '${id}' does not exist in version ${item}`);
  return { ...found.definition, version: found.version, versionInfo: { lastScalingAt: found.version, lastConfigChangeAt: found.lastConfigChangeAt } };
}
