// An embedded agent's `/metrics/snapshot` with the keys a Mesos agent reports there: the host's own
// figures (`system/*`: cores, load, memory) and the agent's resources and what its tasks hold
// (`slave/*`, MB for mem and disk as Mesos counts them). The gateway's node metrics read `system/*`.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { LocalAgent } from '../agent/agent.js';

export function agentMetricsSnapshot(agent: LocalAgent): Record<string, number> {
  const running = agent.tasks();
  const used = running.reduce(
    (sum, task) => ({ cpus: sum.cpus + task.launch.resources.cpus, mem: sum.mem + task.launch.resources.mem, disk: sum.disk + task.launch.resources.disk }),
    { cpus: 0, mem: 0, disk: 0 },
  );
  const [load1, load5, load15] = loadavg() as [number, number, number];
  return {
    'slave/cpus_total': agent.resources.cpus,
    'slave/cpus_used': used.cpus,
    'slave/mem_total': agent.resources.mem,
    'slave/mem_used': used.mem,
    'slave/disk_total': agent.resources.disk,
    'slave/disk_used': used.disk,
    'slave/tasks_running': running.length,
    'slave/uptime_secs': Date.now() / 1000 - agent.registeredAt,
    'system/cpus_total': cpus().length,
    'system/load_1min': load1,
    'system/load_5min': load5,
    'system/load_15min': load15,
    'system/mem_free_bytes': freemem(),
    'system/mem_total_bytes': totalmem(),
  };
}
