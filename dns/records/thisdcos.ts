// The `thisdcos.directory` zone, by the rules of DC/OS's dcos-net (its dcos_dns and dcos_l4lb parts):
//   <vip>.<framework>.l4lb.thisdcos.directory       A to the named VIP's address (mesh/ listens there)
//   <task>.<framework>.agentip.dcos.thisdcos.directory      A to the agent's IP
//   <task>.<framework>.containerip.dcos.thisdcos.directory  A to the task's container IPs (none: no name)
//   <task>.<framework>.autoip.dcos.thisdcos.directory       the agent's IP when a port is mapped to the
//                                                           host, else the container IPs, else the agent's
//   leader.dcos.thisdcos.directory, master.dcos.thisdcos.directory
// <task> is the DiscoveryInfo name, else the task name, made one label (dots become dashes: Marathon's
// task name for /grp/web is web.grp, reached as web-grp); only running tasks have names, as in dcos-net.
import type { SnapshotData, Task, VipTable } from '../../cluster/index.js';
import { sanitizeLabel, domainFrag } from './labels.js';
import { RecordBuilder } from './record-set-builder.js';
import type { RecordSet } from './record-set.js';

export const THISDCOS_DOMAIN = 'thisdcos.directory';
const DCOS = `dcos.${THISDCOS_DOMAIN}.`;

export interface ThisDcosOptions {
  /** The VIP table (mesh on), or null: then no l4lb names. */
  readonly vips: VipTable | null;
  /** The zone's name server (SOA mname, with the trailing dot) and its addresses. */
  readonly soaMname: string;
  readonly nsIps: readonly string[];
}

export function buildThisDcosRecordSet(snapshot: SnapshotData, options: ThisDcosOptions): RecordSet {
  const out = new RecordBuilder();
  out.addresses(options.soaMname.toLowerCase(), options.nsIps);
  for (const vip of options.vips?.vips ?? []) if (vip.name) out.addresses(`${vip.name}.`, [vip.address]);

  const agents = new Map(snapshot.agents.map((a) => [a.id, a]));
  for (const framework of snapshot.frameworks) {
    const frameworkLabel = domainFrag(framework.name);
    if (!frameworkLabel) continue;
    for (const task of framework.tasks) {
      if (task.state !== 'TASK_RUNNING') continue;
      const taskLabel = sanitizeLabel(task.discovery?.name || task.name);
      if (!taskLabel) continue;
      const agentIps = (agents.get(task.agentId)?.ips ?? task.ips.host).slice(0, 1);
      const containerIps = task.ips.netinfo;
      const base = `${taskLabel}.${frameworkLabel}`;
      out.addresses(`${base}.agentip.${DCOS}`, agentIps);
      out.addresses(`${base}.containerip.${DCOS}`, containerIps);
      out.addresses(`${base}.autoip.${DCOS}`, mapsToHost(task) || containerIps.length === 0 ? agentIps : containerIps);
    }
  }

  const leaderIp = snapshot.leader?.address.ips[0];
  if (leaderIp) out.addresses(`leader.${DCOS}`, [leaderIp]);
  out.addresses(`master.${DCOS}`, snapshot.masters.flatMap((m) => m.address.ips.slice(0, 1)));
  return out.build(() => []);
}

/** A port published on the agent (Marathon labels such ports `network-scope: host`): reach the agent. */
function mapsToHost(task: Task): boolean {
  return task.discovery?.ports.some((p) => p.labels.some((l) => l.key === 'network-scope' && l.value === 'host')) ?? false;
}
