// Endpoints that need no token (interface §4): health, metrics, version, keys, login providers,
// login and logout, and the login page or dashboard at `/` (a task's console at `/?task=<id>`).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthnError, login, type Caller } from '../authn/index.js';
import { isUsable } from '../cluster/index.js';
import { dashboardPage, loginPage, safeNext } from './pages.js';
import { FAVICON_ICO } from './pages/favicon.js';
import { taskConsolePage } from './pages/task-console.js';
import { expectsContinue } from './request-rules.js';
import { noteUid } from './access-log.js';
import type { GatewayOptions } from './options.js';
import { GATEWAY_ANSWERS, type GatewayAnswerCode } from './errors.js';

const MAX_LOGIN_BODY = 64 * 1024;

/**
 * The DC/OS version `/dcos-metadata/dcos-version.json` reports. The DC/OS CLI's `cluster setup` aborts
 * on a cluster older than 1.10 (dcos/dcos-cli pkg/setup/setup.go, checkDefaultPluginsRequirements), so
 * Gatehouse's own version (0.x) cannot go there; it is in `dcos-image-commit` instead. 2.2 is the last
 * Open DC/OS release, whose API Gatehouse follows.
 */
export const DCOS_COMPATIBLE_VERSION = '2.2.0';

/** Only the certificates of a PEM file: a file that also holds the private key never leaks it. */
export function certificatesOnly(pem: string): string {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((c) => `${c}\n`).join('');
}

/** Every path answerPublic handles; any other path is not public and needs no call (nor a promise). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  '/health',
  '/metrics',
  '/dcos-metadata/dcos-version.json',
  '/ca/dcos-ca.crt',
  '/acs/api/v1/auth/jwks',
  '/acs/api/v1/auth/providers',
  '/acs/api/v1/auth/logout',
  '/acs/api/v1/auth/login',
  '/login',
  '/',
  '/favicon.ico',
]);

/** Endpoints that need no token. Returns the route name when it answered. */
export async function answerPublic(
  options: GatewayOptions,
  authenticate: (req: IncomingMessage) => Promise<Caller | AuthnError>,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  search: string,
): Promise<string | null> {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res
      .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
      .end(method === 'HEAD' ? undefined : text);
  };
  const gatewayJson = (code: GatewayAnswerCode, description: string, headers: Record<string, string> = {}) => {
    const { status, title } = GATEWAY_ANSWERS[code];
    json(status, { title, description, code }, headers);
  };
  if (!PUBLIC_PATHS.has(path)) return null; // a case below that is not in PUBLIC_PATHS would be dead: tests catch it
  switch (path) {
    case '/health': {
      const status = options.store.status();
      json(isUsable(status.state) ? 200 : 503, status);
      return 'health';
    }
    case '/metrics':
      res
        .writeHead(200, { 'content-type': options.registry.contentType })
        .end(await (options.metricsText ?? (() => options.registry.metrics()))());
      return 'metrics';
    case '/dcos-metadata/dcos-version.json':
      json(
        200,
        {
          version: DCOS_COMPATIBLE_VERSION,
          'dcos-variant': 'open',
          'dcos-image-commit': `gatehouse-${options.version}`,
          'bootstrap-id': 'gatehouse',
        },
        { 'cache-control': 'no-cache' },
      );
      return 'version';
    case '/ca/dcos-ca.crt': {
      // DC/OS publishes its CA here; the DC/OS CLI downloads it when the certificate is not trusted
      // and asks the user to confirm its fingerprint (pkg/setup/setup.go, downloadDCOSCABundle).
      // Gatehouse serves the certificates of gateway.tls.cert (never a key), and nothing over HTTP.
      const tls = options.tls;
      if (!tls) {
        gatewayJson('ERR_GATEWAY_NO_CA', 'no CA: the gateway does not serve HTTPS (gateway.tls)');
        return 'ca';
      }
      const pem = certificatesOnly(await readFile(tls.cert, 'utf8').catch(() => ''));
      res
        .writeHead(pem ? 200 : 404, {
          'content-type': 'application/x-x509-ca-cert',
          'content-length': Buffer.byteLength(pem),
          'cache-control': 'no-cache',
        })
        .end(method === 'HEAD' ? undefined : pem);
      return 'ca';
    }
    case '/favicon.ico':
      res
        .writeHead(200, { 'content-type': 'image/x-icon', 'content-length': FAVICON_ICO.length, 'cache-control': 'public, max-age=86400' })
        .end(method === 'HEAD' ? undefined : FAVICON_ICO);
      return 'favicon';
    case '/acs/api/v1/auth/jwks':
      json(200, { keys: [options.login.signingKey.publicJwk] });
      return 'jwks';
    case '/acs/api/v1/auth/providers':
      json(200, {
        'dcos-users': {
          'authentication-type': 'dcos-uid-password',
          'client-method': 'dcos-usercredential-post-receive-authtoken',
          config: { start_flow_url: '/acs/api/v1/auth/login' },
          description: 'Gatehouse users',
        },
        'dcos-services': {
          'authentication-type': 'dcos-uid-servicekey',
          'client-method': 'dcos-servicecredential-post-receive-authtoken',
          config: { start_flow_url: '/acs/api/v1/auth/login' },
          description: 'Gatehouse service accounts',
        },
      });
      return 'providers';
    case '/acs/api/v1/auth/logout':
      res
        .writeHead(method === 'POST' ? 303 : 200, {
          'set-cookie': 'dcos-acs-auth-cookie=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
          ...(method === 'POST' ? { location: '/' } : {}),
        })
        .end();
      return 'logout';
    case '/acs/api/v1/auth/login': {
      if (method !== 'POST') {
        gatewayJson('ERR_GATEWAY_METHOD', 'POST {"uid", "password"} or {"uid", "token"}', { allow: 'POST' });
        return 'login';
      }
      const body = await readBody(req, res);
      let parsed: unknown = null;
      try {
        parsed = body === null ? null : JSON.parse(body);
      } catch {
        parsed = null;
      }
      const answer = await login(
        { body: parsed, clientAddress: req.socket.remoteAddress ?? '', secure: Boolean(options.tls) },
        options.login,
      );
      loggedIn(res, answer.status, parsed);
      json(answer.status, answer.body, answer.headers);
      return 'login';
    }
    case '/login':
    case '/': {
      if (method === 'POST' && path === '/login') {
        const form = new URLSearchParams((await readBody(req, res)) ?? '');
        const next = safeNext(form.get('next'));
        const answer = await login(
          {
            body: { uid: form.get('uid') ?? '', password: form.get('password') ?? '' },
            clientAddress: req.socket.remoteAddress ?? '',
            secure: Boolean(options.tls),
          },
          options.login,
        );
        loggedIn(res, answer.status, { uid: form.get('uid') });
        if (answer.status === 200) res.writeHead(303, { location: next, 'set-cookie': answer.headers['set-cookie']! }).end();
        else
          res
            .writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8', ...answer.headers })
            .end(loginPage(next, String(answer.body['description']), form.get('uid') ?? ''));
        return 'login';
      }
      if (method !== 'GET' && method !== 'HEAD') return null;
      const caller = path === '/' ? await authenticate(req) : null;
      const query = new URLSearchParams(search);
      const consoleTask = path === '/' ? query.get('task') : null;
      const html =
        caller && !(caller instanceof AuthnError) && consoleTask !== null
          ? taskConsolePage({
              uid: caller.uid,
              snapshot: options.store.current,
              taskId: consoleTask,
              taskName: options.taskName ?? null,
              appHint: query.get('app'),
            })
          : caller && !(caller instanceof AuthnError)
          ? dashboardPage({
              uid: caller.uid,
              snapshot: options.store.current,
              snapshotState: options.store.status().state,
              taskName: options.taskName ?? null,
              routeFiles: options.routes?.files() ?? [],
              vipRange: options.vipRange ?? null,
            })
          : loginPage(query.get('next') ?? '/');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(method === 'HEAD' ? undefined : html);
      return 'page';
    }
    default:
      return null;
  }
}

/** A successful login's access-log line names who logged in (the uid only: never the password or token). */
function loggedIn(res: ServerResponse, status: number, body: unknown): void {
  const uid = (body as { uid?: unknown } | null)?.uid;
  if (status === 200 && typeof uid === 'string') noteUid(res, uid);
}

/** The login body, up to MAX_LOGIN_BODY; `100 Continue` first when the client waits for it (login needs no token). */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | null> {
  if (expectsContinue(req) && !res.headersSent) res.writeContinue();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_LOGIN_BODY) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}
