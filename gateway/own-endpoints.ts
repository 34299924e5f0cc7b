// The gateway's own endpoints that need a token (the pipeline's step 6): the route list (admin group
// only), the status of every gateway process, Admin Router's `/metadata` and build info, the log
// service (logs/), the metrics service (metrics/) and dcos-net's `/net/v1/nodes` and `/net/v1/vips`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../authn/index.js';
import { buildVipTable } from '../cluster/index.js';
import type { GatewayOptions } from './options.js';
import { answerLogs } from './logs/logs-endpoint.js';
import { isLogPath } from './logs/log-request.js';
import { answerMetrics, isMetricsPath } from './metrics/metrics-endpoint.js';
import { netNodes } from './net-nodes.js';
import { NET_NODES_PATH } from './pipeline.js';
import { sendGatewayError } from './proxy.js';

/** The route name of one of these endpoints in metrics and logs; known before it answers, so a failure is named too. */
export function ownRouteName(path: string): string {
  if (isLogPath(path)) return 'logs';
  if (isMetricsPath(path)) return 'metrics-v0';
  if (path === NET_NODES_PATH) return 'nodes';
  return path === '/gatehouse/v1/routes' ? 'inspect' : path === '/gatehouse/v1/status' ? 'status' : path === '/net/v1/vips' ? 'vips' : 'metadata';
}

/** Answers one of AUTHENTICATED_PATHS, a log path or the node list (pipeline.ts). */
export async function answerOwn(
  options: GatewayOptions,
  groupsOf: (caller: Caller) => string[],
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  caller: Caller,
  search = '',
): Promise<void> {
  if (isLogPath(path)) return answerLogs({ store: options.store, componentLogs: options.componentLogs }, req, res, path, search);
  if (isMetricsPath(path)) return answerMetrics({ store: options.store, clusterId: options.clusterId }, req, res, path);
  if (path === NET_NODES_PATH) {
    const body = JSON.stringify(netNodes(options.store.current));
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === '/gatehouse/v1/routes') {
    // It shows every upstream URL: for the admin group only (authn.adminGroup).
    const adminGroup = options.adminGroup ?? 'admins';
    if (!groupsOf(caller).includes(adminGroup)) {
      return sendGatewayError(res, 'ERR_GATEWAY_FORBIDDEN', `the route list is for members of the group ${adminGroup} (authn.adminGroup)`);
    }
    const body = JSON.stringify({
      builtin: ['/service/<name>/', '/agent/<id>/', '/mesos/', '/marathon/', '/mesos_dns/'],
      files: (options.routes?.files() ?? []).map((f) => ({
        file: f.file,
        status: f.status,
        errors: f.errors,
        routes: f.routes.map((r) => ({
          name: r.name,
          path: r.path,
          to: r.to.map((u) => u.href),
          service: r.service,
          stripPrefix: r.stripPrefix,
          auth: r.auth,
          allow: r.allow,
          timeoutMs: r.timeoutMs,
        })),
      })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  if (path === '/gatehouse/v1/status' && options.status) {
    const status = await options.status();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(status));
    return;
  }
  if (path === '/net/v1/vips' && options.vipRange) {
    // dcos-net's shape: a list of { vip: "<name or ip>:<port>", protocol, backend: [{ ip, port }] }.
    // Computed from the snapshot (the same pure table the mesh serves), so any gateway worker answers it.
    const snapshot = options.store.current;
    const table = snapshot ? buildVipTable(snapshot, { range: options.vipRange }) : { vips: [] };
    const body = table.vips.map((v) => ({
      vip: `${v.name ?? v.address}:${v.port}`,
      protocol: v.protocol,
      backend: v.backends.map((b) => ({ ip: b.ip, port: b.port })),
    }));
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    return;
  }
  // Admin Router's /metadata: the public IP, falling back to the address the request came in on.
  const publicIp = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const body =
    path === '/metadata' ? { PUBLIC_IPV4: publicIp, CLUSTER_ID: options.clusterId } : { gatehouse: { version: options.version } };
  res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
}
