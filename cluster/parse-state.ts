// A Mesos `/master/state` document (Mesos 0.19 to 1.x) -> a frozen SnapshotData.
// Lenient per field, strict per document: a task or agent entry of the wrong shape is skipped, but
// a document that is not a Mesos state at all is rejected whole (and the last good snapshot stays).
import { ClusterError } from './errors.js';
import { deepFreeze } from '../core/index.js';
import { parseHostPort, parsePid, type ParsedPid } from './process-address.js';
import { parseTask, sharedParts } from './parse-task.js';
import { resolveAll, systemResolver, type HostResolver } from './resolve-host.js';
import type { Agent, App, Framework, Master, ProcessAddress, SnapshotData, SnapshotSource, Task } from './snapshot.js';
import { frozenList, isObject, list, objects, str, type Json } from './state-fields.js';

export interface ParseStateOptions {
  readonly source: SnapshotSource;
  readonly fetchedAt: number;
  /** Configured masters as `host:port` (or URLs); they take part in master records. */
  readonly masters?: readonly string[];
  readonly resolveHost?: HostResolver;
  /** A framework's tasks when they are not in its object (state-scan.ts: parsed one at a time from the document's bytes). */
  readonly tasksOf?: (framework: object) => Iterable<unknown> | null;
}

const defaultResolver = systemResolver();

function masterHostPort(entry: string): ParsedPid | null {
  try {
    if (/^https?:\/\//.test(entry)) {
      const url = new URL(entry);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      return parseHostPort(`${url.hostname}:${port}`, entry);
    }
  } catch {
    return null;
  }
  return parseHostPort(entry);
}

export async function parseMasterState(doc: unknown, options: ParseStateOptions): Promise<SnapshotData> {
  if (!isObject(doc)) throw new ClusterError('ERR_CLUSTER_STATE_INVALID', `${options.source.origin}: the state is not a JSON object`);
  for (const field of ['frameworks', 'slaves'] as const) {
    if (doc[field] !== undefined && !Array.isArray(doc[field])) {
      throw new ClusterError('ERR_CLUSTER_STATE_INVALID', `${options.source.origin}: "${field}" is not a list`);
    }
  }
  if (doc['frameworks'] === undefined && doc['slaves'] === undefined && doc['leader'] === undefined && doc['pid'] === undefined) {
    throw new ClusterError('ERR_CLUSTER_STATE_INVALID', `${options.source.origin}: not a Mesos /master/state document (no frameworks, slaves, leader or pid)`);
  }

  // A state without `leader` came from a master that leads (or from a capture of one): use its pid.
  const leaderPid = parsePid(str(doc['leader'])) ?? parsePid(str(doc['pid']));
  const masterPids = (options.masters ?? []).map(masterHostPort).filter((p): p is ParsedPid => p !== null);
  const rawAgents = objects(doc['slaves']).filter((a) => typeof a['id'] === 'string' && a['id'] !== '');
  const rawFrameworks = objects(doc['frameworks']).filter((f) => typeof f['id'] === 'string' || typeof f['name'] === 'string');

  const hosts = new Set<string>();
  if (leaderPid) hosts.add(leaderPid.host);
  for (const pid of masterPids) hosts.add(pid.host);
  for (const agent of rawAgents) {
    const pid = parsePid(agent['pid']);
    hosts.add(pid ? pid.host : str(agent['hostname']));
  }
  for (const framework of rawFrameworks) {
    const pid = parsePid(framework['pid']);
    hosts.add(pid ? pid.host : str(framework['hostname']));
  }
  // Built frozen piece by piece (tasks in parseTask): a recursive freeze afterwards would walk every
  // object of a 10,000-task snapshot once more. The IP lists are shared by every task of an agent.
  const resolved = await resolveAll(hosts, options.resolveHost ?? defaultResolver);
  for (const [host, ips] of resolved) resolved.set(host, frozenList(ips) as string[]);
  const ipsOf = (host: string): readonly string[] => resolved.get(host) ?? frozenList([]);
  const address = (pid: ParsedPid): ProcessAddress => Object.freeze({ raw: pid.raw, host: pid.host, port: pid.port, ips: ipsOf(pid.host) });

  const agents: Agent[] = rawAgents.map((raw) => {
    const pid = parsePid(raw['pid']);
    const hostname = str(raw['hostname']);
    return Object.freeze({
      id: str(raw['id']),
      hostname,
      pid: pid ? address(pid) : null,
      ips: ipsOf(pid ? pid.host : hostname),
      active: raw['active'] !== false,
      resources: deepFreeze(isObject(raw['resources']) ? raw['resources'] : {}),
      attributes: deepFreeze(isObject(raw['attributes']) ? raw['attributes'] : {}),
    });
  });
  const agentIps = new Map(agents.map((a) => [a.id, a.ips]));
  const ipsOfAgent = (id: string) => agentIps.get(id) ?? [];

  const shared = sharedParts();
  const frameworks: Framework[] = rawFrameworks.map((raw) => {
    const id = str(raw['id']);
    const pid = parsePid(raw['pid']);
    const hostname = str(raw['hostname']);
    const tasks: Task[] = [];
    for (const rawTask of options.tasksOf?.(raw) ?? list(raw['tasks'])) {
      if (!isObject(rawTask)) continue;
      const task = parseTask(rawTask as Json, id, ipsOfAgent, shared);
      if (task) tasks.push(task);
    }
    return Object.freeze({
      id,
      name: str(raw['name']),
      pid: pid ? address(pid) : null,
      hostname,
      ips: ipsOf(pid ? pid.host : hostname),
      active: raw['active'] !== false,
      webuiUrl: typeof raw['webui_url'] === 'string' && raw['webui_url'] !== '' ? raw['webui_url'] : null,
      tasks: frozenList(tasks),
    });
  });

  const leader: Master | null = leaderPid ? Object.freeze({ address: address(leaderPid) }) : null;
  const masters = frozenList(masterPids.map((pid): Master => Object.freeze({ address: address(pid) })));

  return Object.freeze({
    fetchedAt: options.fetchedAt,
    source: deepFreeze(options.source),
    clusterName: typeof doc['cluster'] === 'string' ? doc['cluster'] : null,
    leader,
    masters,
    agents: frozenList(agents),
    frameworks: frozenList(frameworks),
    apps: frozenList<App>([]),
  });
}
