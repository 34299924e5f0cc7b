// One task of a /master/state document, with its IPs per source picked the way Mesos-DNS does
// (Mesos-DNS's records generator): from the TASK_RUNNING status with the greatest timestamp.
import type { DiscoveryInfo, IpSource, NetworkInfo, Task, TaskHealth, TaskStatus } from './snapshot.js';
import { canonicalIp } from './process-address.js';
import { parseVipLabels } from './vip-labels.js';
import { EMPTY, expandPortRanges, frozenList, isObject, labelsOf, list, num, objects, scalar, str, type Json } from './state-fields.js';

// Everything here is frozen as it is built: see frozenList.

const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

function parseNetworkInfos(containerStatus: unknown): readonly NetworkInfo[] {
  if (!isObject(containerStatus)) return EMPTY;
  const infos = objects(containerStatus['network_infos']).map((info) => {
    const listed = objects(info['ip_addresses']).map((a) => str(a['ip_address'])).filter(Boolean);
    // Mesos 0.25 had a single `ip_address`; later versions a list. The list wins when non-empty.
    const ipAddresses = listed.length ? listed : str(info['ip_address']) ? [str(info['ip_address'])] : [];
    return Object.freeze({ ipAddresses: frozenList(ipAddresses), name: typeof info['name'] === 'string' ? info['name'] : null });
  });
  return frozenList(infos);
}

function parseStatus(status: Json): TaskStatus {
  return Object.freeze({
    state: str(status['state']),
    timestamp: num(status['timestamp']),
    healthy: typeof status['healthy'] === 'boolean' ? status['healthy'] : null,
    labels: labelsOf(status['labels']),
    networkInfos: parseNetworkInfos(status['container_status']),
  });
}

function parseDiscovery(value: unknown): DiscoveryInfo | null {
  if (!isObject(value)) return null;
  const portsField = value['ports'];
  const portEntries = Array.isArray(portsField) ? portsField : isObject(portsField) ? list(portsField['ports']) : [];
  const ports = portEntries.filter(isObject).map((port) =>
    Object.freeze({ number: num(port['number']), protocol: str(port['protocol']), name: str(port['name']), labels: labelsOf(port['labels']) }),
  );
  return Object.freeze({ name: str(value['name']), visibility: str(value['visibility']), ports: frozenList(ports), labels: labelsOf(value['labels']) });
}

/** The newest TASK_RUNNING status; on equal timestamps the first one wins. */
function chosenRunningStatus(statuses: readonly TaskStatus[]): TaskStatus | null {
  let chosen: TaskStatus | null = null;
  for (const status of statuses) {
    if (status.state !== 'TASK_RUNNING') continue;
    if (!chosen || status.timestamp > chosen.timestamp) chosen = status;
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

function ipsPerSource(statuses: readonly TaskStatus[], agentIps: readonly string[]): Readonly<Record<IpSource, readonly string[]>> {
  const status = chosenRunningStatus(statuses);
  const labelValues = (key: string) => (status ? status.labels.filter((l) => l.key === key).map((l) => l.value) : []);
  return Object.freeze({
    netinfo: validIps(status ? status.networkInfos.flatMap((info) => info.ipAddresses) : EMPTY),
    docker: validIps(labelValues(DOCKER_IP_LABEL)),
    mesos: validIps(labelValues(MESOS_IP_LABEL)),
    host: agentIps,
  });
}

function healthOf(statuses: readonly TaskStatus[]): TaskHealth {
  let newest: TaskStatus | null = null;
  for (const status of statuses) if (!newest || status.timestamp >= newest.timestamp) newest = status;
  if (newest?.healthy === true) return 'healthy';
  if (newest?.healthy === false) return 'unhealthy';
  return 'unknown';
}

/** A task, or null when the entry has no id (it could never be named or routed to). */
export function parseTask(raw: Json, frameworkId: string, agentIps: (agentId: string) => readonly string[]): Task | null {
  const id = str(raw['id']);
  if (!id) return null;
  const agentId = str(raw['slave_id'], str(raw['agent_id']));
  const statuses = frozenList(objects(raw['statuses']).map(parseStatus));
  const resources = raw['resources'];
  const discovery = parseDiscovery(raw['discovery']);
  return Object.freeze({
    id,
    name: str(raw['name']),
    frameworkId: str(raw['framework_id'], frameworkId),
    agentId,
    state: str(raw['state']),
    statuses,
    labels: labelsOf(raw['labels']),
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
