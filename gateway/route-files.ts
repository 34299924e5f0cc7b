// Route files (`gateway.routes/*.yaml`, interface §3): read and validated with file:line:col, each
// file on its own. A broken file is quarantined: its last good version keeps serving, the others are
// unaffected, and its errors are visible in GET /gatehouse/v1/routes.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSchema, compileSchema, formatKeyPath, formatProblem, parseDuration, parseYamlFile, type ConfigProblem, type Schema } from '../config/index.js';

export interface FileRoute {
  readonly name: string;
  readonly path: string;                   // prefix, starts and ends with '/'
  readonly to: readonly URL[];
  readonly service: string | null;
  readonly stripPrefix: boolean;
  readonly auth: 'required' | 'none';
  readonly allow: { readonly uid?: readonly string[]; readonly groups?: readonly string[] } | null;
  readonly timeoutMs: number;
  readonly file: string;
}

export interface RouteFileStatus {
  readonly file: string;
  readonly status: 'ok' | 'quarantined';
  readonly errors: readonly string[];
  readonly routes: readonly FileRoute[];   // serving: the file's current routes, or its last good ones
}

/** Prefixes owned by built-in routes and pages: a file route may not shadow them. */
export const RESERVED_PREFIXES = [
  '/service/',
  '/agent/',
  '/mesos/',
  '/marathon/',
  '/mesos_dns/',
  '/acs/',
  '/gatehouse/',
  '/login',
  '/metadata',
  '/pkgpanda/',
  '/dcos-metadata/',
  '/ca/',
  '/metrics',
  '/health',
];

const url = { type: 'string', minLength: 1 };
const SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['routes'],
  properties: {
    routes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'path'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' },
          path: { type: 'string', minLength: 1 },
          to: { anyOf: [url, { type: 'array', minItems: 1, items: url }] },
          service: { type: 'string', minLength: 1 },
          stripPrefix: { type: 'boolean' },
          auth: { enum: ['required', 'none'] },
          allow: {
            type: 'object',
            additionalProperties: false,
            properties: { uid: { type: 'array', items: { type: 'string' } }, groups: { type: 'array', items: { type: 'string' } } },
          },
          timeout: { type: ['string', 'number'], format: 'duration' },
        },
      },
    },
  },
};
const validate = compileSchema('route-file', SCHEMA);

type RawRoute = {
  name: string;
  path: string;
  to?: string | string[];
  service?: string;
  stripPrefix?: boolean;
  auth?: 'required' | 'none';
  allow?: { uid?: string[]; groups?: string[] };
  timeout?: string | number;
};

export function parseRouteFile(text: string, file: string): { routes: FileRoute[]; problems: ConfigProblem[] } {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) return { routes: [], problems: [...doc.problems] };
  const value = doc.value ?? {};
  const problems = checkSchema(validate, { ...doc, value });
  if (problems.length) return { routes: [], problems };
  const routes: FileRoute[] = [];
  const fail = (path: (string | number)[], message: string) => problems.push({ file, ...doc.positionOf(path), path: formatKeyPath(path), message });
  ((value as { routes: RawRoute[] }).routes).forEach((raw, i) => {
    const at = (key: string) => ['routes', i, key];
    if (!raw.path.startsWith('/') || !raw.path.endsWith('/')) fail(at('path'), `"${raw.path}" must start and end with "/" (a path prefix such as /grafana/)`);
    const shadowed = RESERVED_PREFIXES.find((p) => raw.path === '/' || raw.path.startsWith(p) || p.startsWith(raw.path));
    if (shadowed && raw.path.startsWith('/'))
      fail(at('path'), `"${raw.path}" would shadow the built-in ${raw.path === '/' ? 'pages at /' : `prefix ${shadowed}`}`);
    if ((raw.to === undefined) === (raw.service === undefined)) fail(['routes', i], 'give exactly one of to (URLs) or service (a service of the cluster)');
    // Without a token there is no caller to hold against `allow`: the route would be open to everyone.
    if (raw.auth === 'none' && (raw.allow?.uid?.length || raw.allow?.groups?.length))
      fail(at('allow'), 'allow needs auth: required (with auth: none there is no caller to check, and everyone would pass)');
    const to: URL[] = [];
    for (const [j, text] of (Array.isArray(raw.to) ? raw.to : raw.to ? [raw.to] : []).entries()) {
      try {
        const parsed = new URL(text);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
        to.push(parsed);
      } catch {
        fail(Array.isArray(raw.to) ? ['routes', i, 'to', j] : at('to'), `"${text}" is not an http(s) URL`);
      }
    }
    routes.push({
      name: raw.name,
      path: raw.path,
      to,
      service: raw.service ?? null,
      stripPrefix: raw.stripPrefix ?? true,
      auth: raw.auth ?? 'required',
      allow: raw.allow ?? null,
      timeoutMs: raw.timeout === undefined ? 60_000 : (parseDuration(raw.timeout) ?? 60_000),
      file,
    });
  });
  return { routes: problems.length ? [] : routes, problems };
}

/**
 * Reads every route file of `dir` against the previous state: good files replace their routes,
 * broken ones keep their last good routes (quarantined). Routes claiming a path another file already
 * claims are refused with an error on the later file.
 */
export async function loadRouteFiles(dir: string, previous: ReadonlyMap<string, RouteFileStatus>): Promise<Map<string, RouteFileStatus>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const next = new Map<string, RouteFileStatus>();
  for (const name of names.filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => ({ error: e.code ?? String(e) }));
    const parsed =
      typeof text === 'string'
        ? parseRouteFile(text, file)
        : { routes: [], problems: [{ file, line: 1, col: 1, path: '', message: `cannot read (${text.error})` }] };
    if (parsed.problems.length === 0) next.set(file, { file, status: 'ok', errors: [], routes: parsed.routes });
    else next.set(file, { file, status: 'quarantined', errors: parsed.problems.map(formatProblem), routes: previous.get(file)?.routes ?? [] });
  }
  const claimed = new Map<string, string>();
  for (const [file, status] of next) {
    const conflicts = status.routes.filter((r) => claimed.has(r.path) && claimed.get(r.path) !== file);
    for (const r of status.routes) if (!claimed.has(r.path)) claimed.set(r.path, file);
    if (conflicts.length) {
      next.set(file, {
        ...status,
        status: 'quarantined',
        errors: [
          ...status.errors,
          ...conflicts.map((r) => `${file}: route ${r.name}: path ${r.path} is already routed by ${claimed.get(r.path)}`),
        ],
        routes: status.routes.filter((r) => !conflicts.includes(r)),
      });
    }
  }
  return next;
}
