// What the Marathon API's read and write halves share: the context of a request, the parsed
// `/v2/apps/...` route, and Marathon's own answers for an unknown app and a malformed version.
import type { Logger } from 'pino';
import type { AppFileWriter } from '../apps/app-file-writer.js';
import type { VersionedApps } from '../apps/versioned-apps.js';
import type { LocalMaster } from '../master/master.js';
import type { AppState, LocalScheduler } from '../scheduler/scheduler.js';
import { MarathonHttpError, notFound } from './marathon-http.js';
import type { AppExtras } from './marathon-json.js';

export interface MarathonApiOptions {
  readonly master: LocalMaster;
  readonly scheduler: LocalScheduler;
  readonly apps: VersionedApps;
  readonly logger?: Logger;
}

export interface MarathonContext extends MarathonApiOptions {
  /** Null when the apps do not come from app files (a test's list): writes are refused then. */
  readonly writer: AppFileWriter | null;
  app(id: string): AppState | null;
  extras(app: AppState): AppExtras;
  render(app: AppState, embedTasks: boolean): Record<string, unknown>;
}

/** What a `/v2/apps/...` path names: the collection, or an app and what of it. */
export interface AppRoute {
  readonly appId: string | null;
  readonly part: 'app' | 'versions' | 'tasks' | 'restart';
  /** The version or task id after `/versions/` or `/tasks/`. */
  readonly item: string | null;
}

export function appRoute(path: string): AppRoute | null {
  const match = /^\/v2\/apps(\/.*)?$/.exec(path);
  if (!match) return null;
  const rest = match[1] ?? '';
  if (!rest || rest === '/') return { appId: null, part: 'app', item: null };
  const sub = /^(.+?)\/(versions|tasks)(?:\/([^/]+))?$/.exec(rest) ?? /^(.+?)\/(restart)()$/.exec(rest);
  const id = (raw: string): string => `/${decodeURIComponent(raw).split('/').filter(Boolean).join('/')}`;
  if (sub) return { appId: id(sub[1]!), part: sub[2] as AppRoute['part'], item: sub[3] ? decodeURIComponent(sub[3]) : null };
  return { appId: id(rest), part: 'app', item: null };
}

export const appMissing = (id: string): MarathonHttpError => notFound(`App '${id}' does not exist`);

/** Marathon reads any ISO-8601 date-time with an offset; anything else is its 422. */
export function parseTimestamp(text: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) ? new Date(text) : null;
  if (!at || Number.isNaN(at.getTime()))
    throw new MarathonHttpError(422, { message: `Invalid timestamp provided '${text}'. Expecting ISO-8601 datetime string.` });
  return at;
}
