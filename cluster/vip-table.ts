// The VIPs of a snapshot: every VIP label of every live task, grouped by (protocol, VIP, port), with
// the tasks that may take connections as backends, and every label that declares nothing useful as a
// problem naming its app. Named VIPs get an address from a configured range by a stable function of
// the name alone, so every Gatehouse that reads the same cluster computes the same addresses with no
// coordination (what lets one Gatehouse per node form the mesh). Pure: same snapshot, same table.
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { ClusterError } from './errors.js';
import type { Framework, SnapshotData, Task, VipLabel } from './snapshot.js';

/** Named VIPs' zone, as DC/OS: `<name>.<framework>.l4lb.thisdcos.directory`. */
export const L4LB_ZONE = 'l4lb.thisdcos.directory';

export interface VipBackend {
  readonly taskId: string;
  readonly app: string;
  readonly ip: string;
  readonly port: number;
  readonly agentIp: string;
}

export interface Vip {
  /** `tcp://name.marathon.l4lb.thisdcos.directory:8000` or `tcp://10.0.0.9:80`: unique in a table. */
  readonly key: string;
  readonly protocol: 'tcp' | 'udp';
  /** The DNS name of a named VIP (no trailing dot); null for an IP VIP. */
  readonly name: string | null;
  readonly address: string;
  readonly port: number;
  /** The apps declaring it, sorted. */
  readonly apps: readonly string[];
  /** Running tasks whose health is not `unhealthy`, in snapshot order. */
  readonly backends: readonly VipBackend[];
}

export interface VipProblem {
  readonly app: string;
  readonly label: string;
  readonly value: string;
  readonly message: string;
}

export interface VipTable {
  readonly vips: readonly Vip[];
  readonly problems: readonly VipProblem[];
}

export interface VipTableOptions {
  /** IPv4 CIDR the named VIPs' addresses come from, e.g. `127.11.0.0/16`. */
  readonly range: string;
}

/**
 * One DNS label the way dcos-net's naming does it (its `mesos_state` label rules, shared with
 * Mesos-DNS): lower case, `-`, `_` and `.` become `-`, any other character is dropped, no leading or
 * trailing `-`, at most 63 characters. Dropping (not replacing) `/` is why DC/OS's documented example
 * `/dcos-101/app2` is reached as `dcos-101app2.marathon.l4lb.thisdcos.directory`.
 */
export function vipLabelText(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase()) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) out += ch;
    else if ((ch === '-' || ch === '_' || ch === '.') && out.length > 0) out += '-';
  }
  return out.slice(0, 63).replace(/-+$/, '');
}

/** A dotted name, each part a label, empty parts dropped (dcos-net's domain fragment). */
export function vipDomainFrag(text: string): string {
  return text.split('.').map(vipLabelText).filter(Boolean).join('.');
}

/** The DNS name of a named VIP declared by a task of `framework`. */
export function namedVipFqdn(name: string, framework: string): string {
  return [vipDomainFrag(name), vipDomainFrag(framework), L4LB_ZONE].filter(Boolean).join('.');
}

/**
 * The app a task belongs to, for messages: Marathon's app id when the source knows it, else read back
 * from Marathon's task id form (`grp_web.<uuid>` is `/grp/web`: app ids never hold `_`), else the
 * task's name.
 */
export function appOfTask(task: Task, framework: Framework): string {
  if (task.appId) return task.appId;
  const match = /^([a-z0-9][a-z0-9._-]*)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(task.id);
  if (framework.name === 'marathon' && match) return `/${match[1]!.split('_').join('/')}`;
  return task.name || task.id;
}

/** A range's usable addresses (network and broadcast addresses left out) as 32-bit numbers. */
export function parseVipRange(cidr: string): { first: number; last: number } | string {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!match || !isIPv4(match[1]!)) return `"${cidr}" is not an IPv4 range (a.b.c.d/prefix)`;
  const prefix = Number(match[2]);
  if (prefix < 8 || prefix > 30) return `"${cidr}": the prefix must be 8..30 (got /${prefix})`;
  const base = ipToNumber(match[1]!);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return { first: network + 1, last: network + size - 2 };
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Addresses for names: each name's home is SHA-1(name) modulo the range; a taken home moves on to the
 * next free address, names taking their turn in sorted order. `reserved` (IP VIPs inside the range)
 * are never handed out. Same names, same range: same addresses, on every node.
 */
export function assignAddresses(
  names: Iterable<string>,
  range: { first: number; last: number },
  reserved: ReadonlySet<number> = new Set(),
): Map<string, string> {
  const size = range.last - range.first + 1;
  const taken = new Set(reserved);
  const out = new Map<string, string>();
  for (const name of [...new Set(names)].sort()) {
    let slot = createHash('sha1').update(name).digest().readUInt32BE(0) % size;
    let tries = 0;
    while (taken.has(range.first + slot) && tries++ < size) slot = (slot + 1) % size;
    if (tries > size) break; // the range is full: later names get no address (reported by the caller)
    taken.add(range.first + slot);
    out.set(name, numberToIp(range.first + slot));
  }
  return out;
}

interface Declared {
  readonly framework: Framework;
  readonly task: Task;
  readonly label: VipLabel;
  readonly app: string;
}

const LIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE']);

export function buildVipTable(snapshot: SnapshotData, options: VipTableOptions): VipTable {
  const range = parseVipRange(options.range);
  if (typeof range === 'string') throw new ClusterError('ERR_CLUSTER_CONFIG', `mesh.vipRange ${range}`);
  const problems = new Map<string, VipProblem>();
  const problem = (d: Declared, message: string) => {
    const key = `${d.app}\u0000${d.label.key}\u0000${d.label.value}`;
    if (!problems.has(key)) problems.set(key, { app: d.app, label: d.label.key, value: d.label.value, message });
  };

  const groups = new Map<string, Declared[]>();
  for (const framework of snapshot.frameworks) {
    for (const task of framework.tasks) {
      if (task.vipLabels.length === 0 || !LIVE.has(task.state)) continue;
      const app = appOfTask(task, framework);
      for (const label of task.vipLabels) {
        const d: Declared = { framework, task, label, app };
        const t = label.target;
        if (t.kind === 'invalid') {
          problem(d, t.reason);
          continue;
        }
        const key = t.kind === 'ip' ? `${label.protocol}://${t.ip}:${t.port}` : `${label.protocol}://${namedVipFqdn(t.name, framework.name)}:${t.port}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push(d);
      }
    }
  }

  // An IP VIP belongs to one app: the first by app id keeps it (the same choice on every node).
  for (const [key, group] of groups) {
    const first = group[0]!.label.target;
    if (first.kind !== 'ip') continue;
    const apps = [...new Set(group.map((d) => d.app))].sort();
    if (apps.length < 2) continue;
    const owner = apps[0]!;
    for (const d of group) if (d.app !== owner) problem(d, `IP VIP ${first.ip}:${first.port} is already claimed by app ${owner}`);
    groups.set(key, group.filter((d) => d.app === owner));
  }

  const reserved = new Set<number>();
  for (const group of groups.values()) {
    const t = group[0]!.label.target;
    if (t.kind === 'ip') {
      const n = ipToNumber(t.ip);
      if (n >= range.first && n <= range.last) reserved.add(n);
    }
  }
  const names = [...groups.keys()].flatMap((key) => {
    const t = groups.get(key)![0]!;
    return t.label.target.kind === 'named' ? [namedVipFqdn(t.label.target.name, t.framework.name)] : [];
  });
  const addresses = assignAddresses(names, range, reserved);

  const vips: Vip[] = [];
  for (const [key, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const head = group[0]!;
    const t = head.label.target as Exclude<VipLabel['target'], { kind: 'invalid' }>;
    const name = t.kind === 'named' ? namedVipFqdn(t.name, head.framework.name) : null;
    const address = t.kind === 'ip' ? t.ip : addresses.get(name!);
    if (!address) {
      for (const d of group) problem(d, `no free address left in mesh.vipRange ${options.range} for ${name}`);
      continue;
    }
    const backends: VipBackend[] = [];
    const seen = new Set<string>();
    for (const d of group) {
      if (d.task.state !== 'TASK_RUNNING' || d.task.health === 'unhealthy' || d.label.backendPort <= 0) continue;
      const agentIp = d.task.ips.host[0] ?? '';
      const containerIps = d.label.scope === 'host' ? [] : d.task.ips.netinfo.filter(isIPv4);
      for (const ip of containerIps.length ? containerIps : agentIp ? [agentIp] : []) {
        const id = `${d.task.id}\u0000${ip}:${d.label.backendPort}`;
        if (seen.has(id)) continue;
        seen.add(id);
        backends.push(Object.freeze({ taskId: d.task.id, app: d.app, ip, port: d.label.backendPort, agentIp }));
      }
    }
    vips.push(Object.freeze({
      key,
      protocol: head.label.protocol as 'tcp' | 'udp',
      name,
      address,
      port: t.port,
      apps: Object.freeze([...new Set(group.map((d) => d.app))].sort()),
      backends: Object.freeze(backends),
    }));
  }
  return Object.freeze({ vips: Object.freeze(vips), problems: Object.freeze([...problems.values()]) });
}
