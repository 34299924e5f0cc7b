// An agent's own figures, asked of the agent itself over its HTTP API, as any Mesos agent serves them:
// `/state` (executors with their container ids and tasks), `/monitor/statistics` (ResourceStatistics
// per executor) and `/metrics/snapshot`. The agent's address comes from the cluster snapshot.
import type { Agent, Snapshot } from '../../cluster/index.js';
import { AgentRequestFailed, agentJson as fetchAgentJson } from '../agent-http.js';
import { GatewayError, type GatewayAnswerCode } from '../errors.js';

const AGENT_TIMEOUT_MS = 5000;

export type Json = Record<string, any>;

/** A metrics request that cannot be answered; its code is the gateway answer it becomes. */
export class MetricsRequestError extends GatewayError {
  declare readonly code: GatewayAnswerCode;
  constructor(code: GatewayAnswerCode, message: string) {
    super(code, message);
  }
}

export function agentOf(snapshot: Snapshot | null, agentId: string): { agent: Agent; url: URL } {
  if (!snapshot) throw new MetricsRequestError('ERR_GATEWAY_SNAPSHOT_UNUSABLE', 'no cluster snapshot yet: the agent cannot be found');
  const agent = snapshot.agents.find((a) => a.id === agentId);
  const ip = agent?.ips[0];
  if (!agent || !agent.pid || !ip)
    throw new MetricsRequestError('ERR_GATEWAY_METRICS_NOT_FOUND', `agent ${agentId} unknown (no such agent in the cluster's current state)`);
  return { agent, url: new URL(`http://${ip.includes(':') ? `[${ip}]` : ip}:${agent.pid.port}`) };
}

/** The agent's JSON at `path`; null on 404 when `optional` (an agent without that endpoint). */
export async function agentJson(agent: URL, path: string, options: { optional?: boolean; timeoutMs?: number } = {}): Promise<any> {
  try {
    return await fetchAgentJson(new URL(path, agent), { timeoutMs: options.timeoutMs ?? AGENT_TIMEOUT_MS, optional: options.optional ?? false });
  } catch (error) {
    if (error instanceof AgentRequestFailed) throw new MetricsRequestError('ERR_GATEWAY_UPSTREAM_FAILED', error.message);
    throw error;
  }
}

/** A live executor of the agent's `/state`, with its framework. */
export interface LiveExecutor {
  readonly executor: Json;
  readonly framework: Json;
}

export function liveExecutors(state: Json): LiveExecutor[] {
  const found: LiveExecutor[] = [];
  for (const framework of (state['frameworks'] as Json[] | undefined) ?? []) {
    for (const executor of (framework['executors'] as Json[] | undefined) ?? []) {
      if (typeof executor['container'] === 'string' && executor['container']) found.push({ executor, framework });
    }
  }
  return found;
}
