// dcos-metrics' v0 HTTP API through the gateway, at Admin Router's paths:
//   /system/v1/agent/<agent>/metrics/v0/node                     the node's datapoints
//   /system/v1/agent/<agent>/metrics/v0/containers               ids of the containers running there
//   /system/v1/agent/<agent>/metrics/v0/containers/<id>          a container's resource datapoints
//   /system/v1/agent/<agent>/metrics/v0/containers/<id>/app      its app (statsd) metrics: none here, 204
// Computed from the agent's own `/state`, `/monitor/statistics` and `/metrics/snapshot`, so they
// answer against any Mesos agent, not only ones that run dcos-metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot, SnapshotView } from '../../cluster/index.js';
import { sendGatewayError } from '../proxy.js';
import { agentJson, agentOf, liveExecutors, MetricsRequestError, type Json } from './agent-client.js';
import { containerDatapoints, figuresFromSnapshot, nodeDatapoints, type MetricsMessage, type NodeFigures } from './datapoints.js';
import { hostFigures } from './host-figures.js';

export interface MetricsServiceOptions {
  readonly store: SnapshotView;
  readonly clusterId: string;
}

const PATH = /^\/system\/v1\/agent\/([^/]+)\/metrics\/v0\/(node|containers)(?:\/([^/]+)(\/app)?)?$/;

/** Whether the gateway's metrics service owns this (normalised) path. */
export function isMetricsPath(path: string): boolean {
  return path.startsWith('/system/v1/agent/') && path.includes('/metrics/v0/');
}

export async function answerMetrics(options: MetricsServiceOptions, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendGatewayError(res, 'ERR_GATEWAY_METHOD', `${req.method} ${path}: metrics are read with GET`, { allow: 'GET, HEAD' });
    }
    const match = PATH.exec(path);
    if (!match || (match[2] === 'node' && match[3] !== undefined))
      throw new MetricsRequestError(
        'ERR_GATEWAY_METRICS_NOT_FOUND',
        `${path} is not a metrics path: /system/v1/agent/<agent>/metrics/v0/node, …/containers, …/containers/<container-id>[/app]`,
      );
    const agentId = decodeURIComponent(match[1]!);
    const snapshot = options.store.current;
    if (match[2] === 'node') return send(res, req, 200, await nodeMessage(snapshot, agentId, options.clusterId));
    const { url } = agentOf(snapshot, agentId);
    const state = (await agentJson(url, '/state')) as Json;
    const executors = liveExecutors(state);
    if (match[3] === undefined) return send(res, req, 200, executors.map((e) => String(e.executor['container'])));
    const containerId = decodeURIComponent(match[3]);
    const found = executors.find((e) => e.executor['container'] === containerId);
    if (!found)
      throw new MetricsRequestError(
        'ERR_GATEWAY_METRICS_NOT_FOUND',
        `container ${containerId} is not running on agent ${agentId} (no live executor of the agent's state has it)`,
      );
    // No statsd here: a known container has no app metrics, which dcos-metrics answers with 204.
    if (match[4]) return send(res, req, 204, null);
    const statistics = ((await agentJson(url, '/monitor/statistics')) as Json[]).find(
      (s) => s['executor_id'] === found.executor['id'] && s['framework_id'] === found.framework['id'],
    );
    // An executor without statistics (it just started, or a nested container): dcos-metrics' 204.
    if (!statistics || typeof statistics['statistics'] !== 'object') return send(res, req, 204, null);
    const task = ((found.executor['tasks'] as Json[] | undefined) ?? [])[0];
    const message: MetricsMessage = {
      datapoints: containerDatapoints(statistics['statistics'] as Json),
      dimensions: {
        mesos_id: agentId,
        cluster_id: options.clusterId,
        container_id: containerId,
        executor_id: String(found.executor['id']),
        framework_id: String(found.framework['id']),
        framework_name: String(found.framework['name'] ?? ''),
        framework_role: String(found.framework['role'] ?? found.executor['role'] ?? ''),
        framework_principal: String(found.framework['principal'] ?? ''),
        task_id: String(task?.['id'] ?? ''),
        task_name: String(task?.['name'] ?? ''),
        hostname: String(state['hostname'] ?? ''),
        labels: Object.fromEntries(((task?.['labels'] as Json[] | undefined) ?? []).map((l) => [String(l['key']), String(l['value'] ?? '')])),
      },
    };
    send(res, req, 200, message);
  } catch (error) {
    if (res.headersSent) return void res.end();
    if (error instanceof MetricsRequestError) return sendGatewayError(res, error.code, error.message);
    sendGatewayError(res, 'ERR_GATEWAY_INTERNAL', `reading the metrics failed: ${(error as Error).message}`);
  }
}

async function nodeMessage(snapshot: Snapshot | null, agentId: string, clusterId: string): Promise<MetricsMessage> {
  const { agent, url } = agentOf(snapshot, agentId);
  const reported = (await agentJson(url, '/metrics/snapshot', { optional: true })) as Json | null;
  let figures: NodeFigures = reported ? figuresFromSnapshot(reported) : {};
  // The embedded agent runs on this machine: its figures are this machine's, read here in full.
  if (snapshot?.source.kind === 'local') figures = { ...figures, ...(await hostFigures()) };
  return { datapoints: nodeDatapoints(figures), dimensions: { mesos_id: agentId, cluster_id: clusterId, hostname: agent.hostname } };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, body: unknown): void {
  if (status === 204) return void res.writeHead(204, { 'cache-control': 'no-store' }).end();
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
    .end(req.method === 'HEAD' ? undefined : text);
}
