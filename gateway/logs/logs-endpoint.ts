// The gateway's log service at dcos-log's v2 paths (`/system/v1/…/logs/v2/…`): a task's sandbox
// files, read from its agent's files API, and Gatehouse's own component log. It answers here, in
// the gateway, because it needs the snapshot (to find a task's agent) and nothing a proxy could add.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SnapshotView } from '../../cluster/index.js';
import { sendGatewayError } from '../proxy.js';
import { serveComponentLog } from './component-log.js';
import { LogRequestError, logQuery, logTarget } from './log-request.js';
import type { ComponentLogSource } from './log-ring.js';
import { serveTaskLog, type FollowOptions } from './task-log.js';
import { locateSandboxFile } from './task-sandbox.js';

export interface LogServiceOptions extends FollowOptions {
  readonly store: SnapshotView;
  /** Gatehouse's recent lines; absent: component logs answer 404. */
  readonly componentLogs?: ComponentLogSource | undefined;
}

export async function answerLogs(options: LogServiceOptions, req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendGatewayError(res, 'ERR_GATEWAY_METHOD', `${req.method} ${path}: logs are read with GET`, { allow: 'GET, HEAD' });
    }
    const target = logTarget(path);
    if (!target)
      throw new LogRequestError(
        'ERR_GATEWAY_LOG_NOT_FOUND',
        `${path} is not a log: task logs are /system/v1/logs/v2/task/<task>/file/<file>, component logs /system/v1/leader/mesos/logs/v2/component[/<unit>]`,
      );
    const query = logQuery(search, req.headers);
    if (target.kind === 'component') {
      const local = target.scope !== 'agent' || isEmbeddedAgent(options.store, target.agentId);
      if (!options.componentLogs || !local)
        throw new LogRequestError(
          'ERR_GATEWAY_LOG_NOT_FOUND',
          target.scope === 'agent'
            ? `agent ${target.agentId}: Gatehouse has the component logs of its own process only`
            : 'component logs are not kept here',
        );
      return await serveComponentLog(options.componentLogs, target.unit, query, res, options);
    }
    const file = await locateSandboxFile(options.store, target);
    await serveTaskLog(file, query, res, options);
  } catch (error) {
    if (res.headersSent) return void res.end();
    if (error instanceof LogRequestError) return sendGatewayError(res, error.code, error.message);
    sendGatewayError(res, 'ERR_GATEWAY_UPSTREAM_FAILED', `reading the log failed: ${(error as Error).message}`);
  }
}

/** An agent of the embedded cluster runs in this process: its component log is ours. */
function isEmbeddedAgent(store: SnapshotView, agentId: string | null): boolean {
  const snapshot = store.current;
  return Boolean(snapshot && snapshot.source.kind === 'local' && snapshot.agents.some((a) => a.id === agentId));
}
