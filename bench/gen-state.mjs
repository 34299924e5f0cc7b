// Generates a Mesos /master/state document (real format) with N running tasks spread over Marathon
// apps and agents, for benchmarks. Usage: node bench/gen-state.mjs [tasks=1000] > state.json
export function generateState(taskCount, { agents = 10, tasksPerApp = 5 } = {}) {
  const agentIds = Array.from({ length: agents }, (_, i) => `5f0c2a1e-3b4d-4e6f-8a9b-0c1d2e3f4a5b-S${i}`);
  const slaves = agentIds.map((id, i) => ({
    id, pid: `slave(1)@10.10.${Math.floor(i / 250)}.${(i % 250) + 1}:5051`, hostname: `agent-${i}.example`,
    resources: { cpus: 32, mem: 131072, disk: 1048576, ports: '[31000-32000]' }, attributes: {}, active: true,
  }));
  const tasks = [];
  for (let i = 0; i < taskCount; i++) {
    const app = Math.floor(i / tasksPerApp);
    const group = `team${app % 17}`;
    const name = `app${app}.${group}`;
    const agent = i % agents;
    const port = 31000 + (i % 1000);
    tasks.push({
      id: `${group}_app${app}.${i.toString(16).padStart(8, '0')}-0b4a-11f1-9c1d-0242ac110002`,
      name, framework_id: 'fw-marathon', slave_id: agentIds[agent], state: 'TASK_RUNNING',
      resources: { cpus: 0.1, mem: 64, disk: 0, ports: `[${port}-${port}]` },
      statuses: [{
        state: 'TASK_RUNNING', timestamp: 1764000000 + i / 1000, labels: [],
        container_status: { network_infos: [{ ip_addresses: [{ ip_address: `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}` }] }] },
      }],
      discovery: { visibility: 'FRAMEWORK', name, ports: { ports: [{ number: 8080, name: 'http', protocol: 'tcp' }] } },
      labels: [],
    });
  }
  return {
    version: '1.11.0', id: 'bench', pid: 'master@10.0.0.1:5050', leader: 'master@10.0.0.1:5050', hostname: 'master',
    slaves,
    frameworks: [{ id: 'fw-marathon', name: 'marathon', pid: 'scheduler-1@10.0.0.1:8080', hostname: 'master', active: true, tasks }],
    completed_frameworks: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(generateState(Number(process.argv[2] ?? 1000))));
}
