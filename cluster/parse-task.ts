// One task of a /master/state document, with its IPs per source picked the way Mesos-DNS does
// (Mesos-DNS's records generator): from the TASK_RUNNING status with the greatest timestamp.
// The statuses themselves are read here and not kept: `ips` and `health` are all anyone reads of them.
import type { DiscoveryInfo, IpSource, Task, TaskHealth } from './snapshot.js';
import { canonicalIp } from './process-address.js';
import { parseVipLabels } from './vip-labels.js';
import { EMPTY, expandPortRanges, frozenList, interner, isObject, labelsOf, list, num, objects, scalar, str, type Intern, type Json } from './state-fields.js';

// Everything here is frozen as it is built: see frozenList.

const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

/** The IPs of a status's network infos, in document order. */
function networkIps(containerStatus: unknown): string[] {
  if (!isObject(containerStatus)) return [];
  return objects(containerStatus['network_infos']).flatMap((info) => {
    const listed = objects(info['ip_addresses']).map((a) => str(a['ip_address'])).filter(Boolean);
    // Mesos 0.25 had a single `ip_address`; later versions a list. The list wins when non-empty.
    return listed.length ? listed : str(info['ip_address']) ? [str(info['ip_address'])] : [];
  });
}

/**
 * What the tasks of one parse share: one copy of each repeated string, and one DiscoveryInfo per
 * distinct one without labels (every instance of an app has the same: 1.3 MB at 10,000 tasks).
 */
export interface SharedParts {
  readonly intern: Intern;
  readonly discovery: Map<string, DiscoveryInfo>;
}

export function sharedParts(): SharedParts {
  return { intern: interner(), discovery: new Map() };
}

/** The one equal DiscoveryInfo seen before, when it has no labels (labels would need comparing too). */
function shareDiscovery(info: DiscoveryInfo, shared: Map<string, DiscoveryInfo>): DiscoveryInfo {
  if (info.labels.length > 0 || info.ports.some((p) => p.labels.length > 0)) return info;
  const key = [info.name, info.visibility, ...info.ports.map((p) => `${p.number}\u0001${p.protocol}\u0001${p.name}`)].join('\u0000');
  const known = shared.get(key);
  // The key names the fields; comparing them as well keeps a name holding the separators from ever matching another.
  if (known && sameDiscovery(known, info)) return known;
  if (!known) shared.set(key, info);
  return info;
}

function sameDiscovery(a: DiscoveryInfo, b: DiscoveryInfo): boolean {
  return (
    a.name === b.name &&
    a.visibility === b.visibility &&
    a.ports.length === b.ports.length &&
    a.ports.every((p, i) => p.number === b.ports[i]!.number && p.protocol === b.ports[i]!.protocol && p.name === b.ports[i]!.name)
  );
}

function parseDiscovery(value: unknown, intern: Intern): DiscoveryInfo | null {
  if (!isObject(value)) return null;
  const portsField = value['ports'];
  const portEntries = Array.isArray(portsField) ? portsField : isObject(portsField) ? list(portsField['ports']) : [];
  const ports = portEntries.filter(isObject).map((port) =>
    Object.freeze({
      number: num(port['number']),
      protocol: intern(str(port['protocol'])),
      name: intern(str(port['name'])),
      labels: labelsOf(port['labels'], intern),
    }),
  );
  return Object.freeze({
    name: intern(str(value['name'])),
    visibility: intern(str(value['visibility'])),
    ports: frozenList(ports),
    labels: labelsOf(value['labels'], intern),
  });
}

/** The newest TASK_RUNNING status; on equal timestamps the first one wins. */
function chosenRunningStatus(statuses: readonly Json[]): Json | null {
  let chosen: Json | null = null;
  for (const status of statuses) {
    if (status['state'] !== 'TASK_RUNNING') continue;
    if (!chosen || num(status['timestamp']) > num(chosen['timestamp'])) chosen = status;
  }
  return chosen;
}

function validIps(values: readonly string[]): readonly string[] {
  if (values.length === 0) return EMPTY;
  const out: string[] = [];
  for (const value of values) {
    const ip = canonicalIp(value);
    if (ip && !out.includes(ip)) out.push(ip);
  }
  return frozenList(out);
}

function ipsPerSource(statuses: readonly Json[], agentIps: readonly string[]): Readonly<Record<IpSource, readonly string[]>> {
  const status = chosenRunningStatus(statuses);
  const labels = status ? labelsOf(status['labels']) : EMPTY;
  const labelValues = (key: string) => labels.filter((l) => l.key === key).map((l) => l.value);
  return Object.freeze({
    netinfo: validIps(status ? networkIps(status['container_status']) : EMPTY),
    docker: validIps(labelValues(DOCKER_IP_LABEL)),
    mesos: validIps(labelValues(MESOS_IP_LABEL)),
    host: agentIps,
  });
}

/** Health from the newest status (the last one on equal timestamps). */
function healthOf(statuses: readonly Json[]): TaskHealth {
  let newest: Json | null = null;
  for (const status of statuses) if (!newest || num(status['timestamp']) >= num(newest['timestamp'])) newest = status;
  if (newest?.['healthy'] === true) return 'healthy';
  if (newest?.['healthy'] === false) return 'unhealthy';
  return 'unknown';
}

/**
 * A task, or null when the entry has no id (it could never be named or routed to). `shared` gives
 * the strings tasks repeat (ids of agents and frameworks, states, names, label keys) one copy each,
 * and equal DiscoveryInfos one object.
 */
export function parseTask(raw: Json, frameworkId: string, agentIps: (agentId: string) => readonly string[], shared: SharedParts = sharedParts()): Task | null {
  const id = str(raw['id']);
  if (!id) return null;
  const { intern } = shared;
  const agentId = intern(str(raw['slave_id'], str(raw['agent_id'])));
  const statuses = objects(raw['statuses']);
  const resources = raw['resources'];
  const parsed = parseDiscovery(raw['discovery'], intern);
  const discovery = parsed && shareDiscovery(parsed, shared.discovery);
  return Object.freeze({
    id,
    name: intern(str(raw['name'])),
    frameworkId: intern(str(raw['framework_id'], frameworkId)),
    agentId,
    state: intern(str(raw['state'])),
    labels: labelsOf(raw['labels'], intern),
    resources: Object.freeze({
      cpus: scalar(resources, 'cpus'),
      mem: scalar(resources, 'mem'),
      disk: scalar(resources, 'disk'),
      ports: expandPortRanges(isObject(resources) ? resources['ports'] : undefined),
    }),
    discovery,
    vipLabels: parseVipLabels(discovery),
    ips: ipsPerSource(statuses, agentIps(agentId)),
    health: healthOf(statuses),
    appId: null,
  });
}
