// Records from a snapshot, by Mesos-DNS's rules (reference mesos-dns.md §1.5–1.9): tasks, their
// canonical and `.slave` names, SRVs for host ports and DiscoveryInfo ports, frameworks, agents,
// leader and masters, and the name server. Pure: the same snapshot gives the same record set.
import type { Framework, IpSource, Master, SnapshotData, Task } from '../cluster/snapshot.js';
import { canonicalIp } from './ip-address.js';
import { agentTail, domainFrag, hashTaskId, sanitizeLabel, type LabelMode } from './labels.js';
import { RecordBuilder } from './record-builder.js';
import type { EnumerationTask } from './record-builder.js';
import type { RecordSet } from './record-set.js';

export interface RecordOptions {
  readonly domain: string;                 // lower case, no trailing dot
  readonly ipSources: readonly IpSource[];
  readonly enforceRFC952: boolean;
  readonly soaMname: string;               // FQDN with trailing dot
  readonly nsIps: readonly string[];       // addresses of the name server (the DNS listener)
  /** Configured masters as `ip:port`; default: the snapshot's masters. */
  readonly masters?: readonly string[];
  /** Leave out tasks whose health check fails (beyond Mesos-DNS). */
  readonly healthyOnly?: boolean;
}

interface Context {
  readonly out: RecordBuilder;
  /** Many tasks share a name and an agent: sanitise and split each once per build. */
  readonly labelOf: Map<string, string>;
  readonly agentTailOf: Map<string, string>;
  readonly tail: string;                   // `.${domain}.`
  readonly mode: LabelMode;
  readonly options: RecordOptions;
}

export function buildRecordSet(snapshot: SnapshotData, options: RecordOptions): RecordSet {
  const { builder, frameworks, tasks } = generate(snapshot, options, false);
  // Who inserted each record first is only needed by /v1/enumerate: generate again, tracking, then.
  return builder.build(() => {
    const tracked = generate(snapshot, options, true);
    return tracked.builder.enumeration(tracked.frameworks, tracked.tasks);
  });
}

function generate(snapshot: SnapshotData, options: RecordOptions, trackOwners: boolean) {
  const ctx: Context = { out: new RecordBuilder(trackOwners), labelOf: new Map(), agentTailOf: new Map(), tail: `.${options.domain}.`, mode: options.enforceRFC952 ? 'rfc952' : 'rfc1123', options };
  // Mesos-DNS's order: frameworks, agents, name server, masters, then tasks. It is observable: a
  // task record that one of the others already inserted is not listed under the task in /v1/enumerate.
  for (const framework of snapshot.frameworks) frameworkRecords(ctx, framework);
  for (const agent of snapshot.agents) {
    ctx.out.addresses(`slave${ctx.tail}`, agent.ips);
    if (agent.pid && agent.ips.length > 0) ctx.out.srv(`_slave._tcp${ctx.tail}`, `slave${ctx.tail}`, agent.pid.port);
  }
  const ns = options.soaMname.toLowerCase();
  ctx.out.addresses(ns.endsWith('.') ? ns : `${ns}.`, options.nsIps);
  masterRecords(ctx, snapshot);

  const agents = new Map(snapshot.agents.map((agent) => [agent.id, agent]));
  const tasks: EnumerationTask[] = [];
  snapshot.frameworks.forEach((framework, frameworkIndex) => {
    const frameworkLabel = domainFrag(framework.name, ctx.mode);
    for (const task of framework.tasks) {
      const agent = agents.get(task.agentId);
      if (task.state !== 'TASK_RUNNING' || !agent) continue;
      if (options.healthyOnly && task.health === 'unhealthy') continue;
      ctx.out.attributeTo(tasks.length);
      tasks.push({ framework: frameworkIndex, name: task.name, id: task.id });
      // Deviation: Mesos-DNS would publish `T..mesos.`-style names for a framework whose name has no
      // usable character; such names cannot be queried, so the task only shows in /v1/enumerate.
      if (frameworkLabel) taskRecords(ctx, task, frameworkLabel, agent.ips);
    }
  });
  ctx.out.attributeTo(-1);
  return { builder: ctx.out, frameworks: snapshot.frameworks.map((f) => f.name), tasks };
}

function taskIps(task: Task, sources: readonly IpSource[]): readonly string[] {
  for (const source of sources) {
    const ips = task.ips[source];
    if (ips && ips.length > 0) return ips;
  }
  return [];
}

function taskRecords(ctx: Context, task: Task, framework: string, agentIps: readonly string[]): void {
  const discoveryName = task.discovery?.name ?? '';
  // Mesos-DNS publishes DiscoveryInfo names twice: raw (legacy, e.g. `app.grp`) and sanitised; when
  // both are the same label the second pass would only insert duplicates.
  const sanitized = labelOf(ctx, discoveryName || task.name);
  let agent = ctx.agentTailOf.get(task.agentId);
  if (agent === undefined) ctx.agentTailOf.set(task.agentId, (agent = agentTail(task.agentId)));
  const labels = discoveryName && discoveryName !== sanitized ? [discoveryName, sanitized] : [sanitized];
  const ips = taskIps(task, ctx.options.ipSources);
  const suffix = `-${hashTaskId(task.id)}-${agent}`;
  const onTask = `.${framework}${ctx.tail}`;
  const onSlave = `.${framework}.slave${ctx.tail}`;
  const { out } = ctx;
  for (const label of labels) {
    if (!label) continue;
    const canonical = label + suffix;
    const canonicalOnSlave = canonical + onSlave;
    const plain = label + onTask;
    const canonicalOnTask = canonical + onTask;
    const plainOnSlave = label + onSlave;
    // Per IP, the plain name then the canonical one: the order /v1/enumerate shows.
    for (const ip of ips) {
      out.address(plain, ip);
      out.address(canonicalOnTask, ip);
    }
    for (const ip of agentIps) {
      out.address(plainOnSlave, ip);
      out.address(canonicalOnSlave, ip);
    }
    if (task.resources.ports.length > 0) {
      const tcpSlave = `_${label}._tcp${onSlave}`;
      const udpSlave = `_${label}._udp${onSlave}`;
      const tcp = `_${label}._tcp${onTask}`;
      const udp = `_${label}._udp${onTask}`;
      for (const port of task.resources.ports) {
        out.srv(tcpSlave, canonicalOnSlave, port);
        out.srv(udpSlave, canonicalOnSlave, port);
        if (!discoveryName) {
          out.srv(tcp, canonicalOnSlave, port);
          out.srv(udp, canonicalOnSlave, port);
        }
      }
    }
    if (!discoveryName || !task.discovery) continue;
    for (const port of task.discovery.ports) {
      const protocol = labelOf(ctx, port.protocol);
      const portName = labelOf(ctx, port.name);
      const protocols = protocol ? [protocol] : BOTH_PROTOCOLS;
      for (const proto of protocols) out.srv(`_${label}._${proto}${onTask}`, canonicalOnTask, port.number);
      if (portName) for (const proto of protocols) out.srv(`_${portName}._${label}._${proto}${onTask}`, canonicalOnTask, port.number);
    }
  }
}

const BOTH_PROTOCOLS = ['tcp', 'udp'] as const;

/** sanitizeLabel, once per distinct text per build: many tasks share names, ports and protocols. */
function labelOf(ctx: Context, text: string): string {
  let label = ctx.labelOf.get(text);
  if (label === undefined) ctx.labelOf.set(text, (label = sanitizeLabel(text, ctx.mode)));
  return label;
}

function frameworkRecords(ctx: Context, framework: Framework): void {
  const label = domainFrag(framework.name, ctx.mode);
  if (!label || framework.ips.length === 0) return;
  const name = `${label}${ctx.tail}`;
  ctx.out.addresses(name, framework.ips);
  if (framework.pid) ctx.out.srv(`_framework._tcp.${name}`, name, framework.pid.port);
}

/** `ip:port` of a master, with IPv6 bracketed, as Mesos-DNS compares them. */
function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function masterRecords(ctx: Context, snapshot: SnapshotData): void {
  const leader = snapshot.leader?.address;
  const leaderIp = leader?.ips[0];
  if (!leader || !leaderIp) return;
  const { out, tail } = ctx;
  out.addresses(`leader${tail}`, [leaderIp]);
  out.addresses(`master${tail}`, [leaderIp]);
  out.srv(`_leader._tcp${tail}`, `leader${tail}`, leader.port);
  out.srv(`_leader._udp${tail}`, `leader${tail}`, leader.port);

  const leaderEndpoint = endpoint(leaderIp, leader.port);
  const masterIps = new Set([leaderIp]);
  const masters: { ip: string; port: number }[] = ctx.options.masters
    ? ctx.options.masters.flatMap((entry) => parseEndpoint(entry) ?? [])
    : snapshot.masters.flatMap((m: Master) => (m.address.ips[0] ? [{ ip: m.address.ips[0], port: m.address.port }] : []));
  let index = 0;
  let leaderIndexed = false;
  for (const master of masters) {
    const isLeader = endpoint(master.ip, master.port) === leaderEndpoint;
    if (isLeader) {
      if (leaderIndexed) continue;
      leaderIndexed = true;
    } else {
      if (masterIps.has(master.ip)) continue;
      masterIps.add(master.ip);
      out.addresses(`master${tail}`, [master.ip]);
    }
    out.addresses(`master${index}${tail}`, [master.ip]);
    index++;
  }
  if (!leaderIndexed) out.addresses(`master${index}${tail}`, [leaderIp]);
}

/**
 * A configured master as `{ ip, port }`, or null. Mesos-DNS crashes on host names here; we skip
 * them, since a name is no address record.
 */
function parseEndpoint(entry: string): { ip: string; port: number } | null {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
  if (!match) return null;
  const ip = canonicalIp(match[1]!);
  return ip ? { ip, port: Number(match[2]) } : null;
}
