// Records from a snapshot, by Mesos-DNS's rules (its naming docs and records generator): tasks, their
// canonical and `.slave` names, SRVs for host ports and DiscoveryInfo ports, frameworks, agents,
// leader and masters, and the name server. Pure: the same snapshot gives the same record set.
import type { Framework, IpSource, Master, SnapshotData, Task } from '../../cluster/index.js';
import { canonicalIp } from './ip-address.js';
import { agentTail, domainFrag, hashTaskId, sanitizeLabel, type LabelMode } from './labels.js';
import { flatName, RecordBuilder, type EnumerationTask, type NameEntry } from './record-set-builder.js';
import type { EnumeratedFramework, RecordSet, SrvValue } from './record-set.js';

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
  const { builder } = generate(snapshot, options, false);
  // Who inserted each record first is only needed by /v1/enumerate: generate again, tracking, then.
  return builder.build(() => buildEnumeration(snapshot, options));
}

/** Mesos-DNS's /v1/enumerate for `snapshot`: every framework, its running tasks and the records each inserted first. */
export function buildEnumeration(snapshot: SnapshotData, options: RecordOptions): EnumeratedFramework[] {
  const tracked = generate(snapshot, options, true);
  return tracked.builder.enumeration(tracked.frameworks, tracked.tasks);
}

function generate(snapshot: SnapshotData, options: RecordOptions, trackOwners: boolean) {
  const ctx: Context = {
    out: new RecordBuilder(trackOwners),
    labelOf: new Map(),
    agentTailOf: new Map(),
    tail: `.${options.domain}.`,
    mode: options.enforceRFC952 ? 'rfc952' : 'rfc1123',
    options,
  };
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
    const label = domainFrag(framework.name, ctx.mode);
    const names: FrameworkNames = { onTask: `.${label}${ctx.tail}`, onSlave: `.${label}.slave${ctx.tail}`, byLabel: new Map() };
    for (const task of framework.tasks) {
      const agent = agents.get(task.agentId);
      if (task.state !== 'TASK_RUNNING' || !agent) continue;
      if (options.healthyOnly && task.health === 'unhealthy') continue;
      if (trackOwners) {
        ctx.out.attributeTo(tasks.length);
        tasks.push({ framework: frameworkIndex, name: task.name, id: task.id });
      }
      // Deviation: Mesos-DNS would publish `T..mesos.`-style names for a framework whose name has no
      // usable character; such names cannot be queried, so the task only shows in /v1/enumerate.
      if (label) taskRecords(ctx, task, names, agent.ips);
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

/** Name suffixes of one framework and the names its tasks share, per task label. */
interface FrameworkNames {
  readonly onTask: string;                 // `.F.D.`
  readonly onSlave: string;                // `.F.slave.D.`
  readonly byLabel: Map<string, LabelNames>;
}

/**
 * Names every instance of one label shares (`T.F.D.`, `_T._tcp.F.slave.D.`, ...): built and looked up
 * once per build instead of once per task. Entries are made when their first value arrives, so no
 * name ever exists without a record.
 */
interface LabelNames {
  plain: NameEntry | null;
  plainOnSlave: NameEntry | null;
  /** Host-port SRV names in Mesos-DNS's order: tcp.slave, udp.slave, then tcp, udp (no DiscoveryInfo). */
  hostPorts: NameEntry[] | null;
  hostPortsSlaveOnly: NameEntry[] | null;
  /** DiscoveryInfo SRV names per protocol label, then per port-name label. */
  discovery: Map<string, Map<string, NameEntry[]>> | null;
}

function taskRecords(ctx: Context, task: Task, framework: FrameworkNames, agentIps: readonly string[]): void {
  const discoveryName = task.discovery?.name ?? '';
  // Mesos-DNS publishes DiscoveryInfo names twice: raw (legacy, e.g. `app.grp`) and sanitised; when
  // both are the same label the second pass would only insert duplicates.
  const sanitized = labelOf(ctx, discoveryName || task.name);
  let agent = ctx.agentTailOf.get(task.agentId);
  if (agent === undefined) ctx.agentTailOf.set(task.agentId, (agent = agentTail(task.agentId)));
  const ips = taskIps(task, ctx.options.ipSources);
  const suffix = `-${hashTaskId(task.id)}-${agent}`;
  const { out } = ctx;
  const { onTask, onSlave } = framework;
  const ports = task.resources.ports;
  for (const label of discoveryName && discoveryName !== sanitized ? [discoveryName, sanitized] : [sanitized]) {
    if (!label) continue;
    let names = framework.byLabel.get(label);
    if (!names) framework.byLabel.set(label, (names = { plain: null, plainOnSlave: null, hostPorts: null, hostPortsSlaveOnly: null, discovery: null }));
    const canonical = label + suffix;
    // Flat: these are also the targets of SRV values, which would keep a rope of each alive.
    const canonicalOnTask = flatName(canonical + onTask);
    const canonicalOnSlave = flatName(canonical + onSlave);
    // Per IP, the plain name then the canonical one: the order /v1/enumerate shows.
    if (ips.length > 0) {
      const plain = (names.plain ??= out.entry(label + onTask));
      const own = out.entry(canonicalOnTask);
      for (const ip of ips) {
        out.addIp(plain, ip);
        out.addIp(own, ip);
      }
    }
    if (agentIps.length > 0) {
      const plain = (names.plainOnSlave ??= out.entry(label + onSlave));
      const own = out.entry(canonicalOnSlave);
      for (const ip of agentIps) {
        out.addIp(plain, ip);
        out.addIp(own, ip);
      }
    }
    if (ports.length > 0) {
      const services = discoveryName
        ? (names.hostPortsSlaveOnly ??= [`_${label}._tcp${onSlave}`, `_${label}._udp${onSlave}`].map((n) => out.entry(n)))
        : (names.hostPorts ??= [
            `_${label}._tcp${onSlave}`,
            `_${label}._udp${onSlave}`,
            `_${label}._tcp${onTask}`,
            `_${label}._udp${onTask}`,
          ].map((n) => out.entry(n)));
      for (const port of ports) {
        if (!isPort(port)) continue;
        const value: SrvValue = { target: canonicalOnSlave, port };
        for (const service of services) out.addSrv(service, value);
      }
    }
    if (!discoveryName || !task.discovery) continue;
    for (const port of task.discovery.ports) {
      // Mesos-DNS refuses the whole state over such a number; we leave out the one port.
      if (!isPort(port.number)) continue;
      const value: SrvValue = { target: canonicalOnTask, port: port.number };
      for (const service of discoveryServices(ctx, names, label, onTask, labelOf(ctx, port.protocol), labelOf(ctx, port.name))) out.addSrv(service, value);
    }
  }
}

/** `_T._p.F.D.` for the port's protocol (tcp and udp when it has none), then `_N._T._p.F.D.` when the port is named. */
function discoveryServices(ctx: Context, names: LabelNames, label: string, onTask: string, protocol: string, portName: string): NameEntry[] {
  const byProtocol = (names.discovery ??= new Map());
  let byName = byProtocol.get(protocol);
  if (!byName) byProtocol.set(protocol, (byName = new Map()));
  let services = byName.get(portName);
  if (!services) {
    const protocols = protocol ? [protocol] : BOTH_PROTOCOLS;
    const serviceNames = protocols.map((p) => `_${label}._${p}${onTask}`);
    if (portName) for (const p of protocols) serviceNames.push(`_${portName}._${label}._${p}${onTask}`);
    byName.set(portName, (services = serviceNames.map((n) => ctx.out.entry(n))));
  }
  return services;
}

const BOTH_PROTOCOLS = ['tcp', 'udp'] as const;

/** What an SRV record can carry (DiscoveryInfo port 0 is published, as Mesos-DNS does). */
function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 65535;
}

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
