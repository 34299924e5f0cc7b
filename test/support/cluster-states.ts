// Named master and agent states for the shapes real clusters produce besides the ones in
// test/fixtures/master-state/harbor.json: Docker bridge networking, overlay networks, UCR bridge mode
// (seen from an agent), DiscoveryInfo ports carrying VIP labels, health checks with legacy VIP task
// labels, an empty cluster, and a crowded state (a hundred instances of one app, a thousand completed
// tasks, an agent known only by a host name). Built with master-state.ts; each is a fresh object.
import { agentState, masterState, type TaskSpec } from './master-state.js';

type Json = Record<string, unknown>;

const MARATHON = '5b0e2c7a-91d4-4e36-8f21-c0a9d3e7b614-0000';

/** A Docker task on a bridge network: the container IP (172.17.x) in both netinfo and the Docker label. */
export function dockerBridgeState(): Json {
  return masterState({
    leader: 'master@10.40.0.2:5050',
    cluster: 'bridge-demo',
    agents: [{ id: '5b0e2c7a-91d4-4e36-8f21-c0a9d3e7b614-S0', host: '10.40.1.4' }],
    frameworks: [
      {
        id: MARATHON,
        name: 'marathon',
        pid: 'scheduler-0b8f2e4c-7d13-4a55-9e60-2c4f8a1b3d57@10.40.0.2:41314',
        tasks: [
          {
            id: 'web.8e1f4a62-1c3b-11ee-8a7d-0242ac110005',
            name: 'web',
            agent: '5b0e2c7a-91d4-4e36-8f21-c0a9d3e7b614-S0',
            ports: '[28080-28080]',
            labels: { VIP_PORT0: 'tcp://10.40.9.9:5000' },
            container: {
              type: 'DOCKER',
              docker: {
                image: 'example/web:1',
                network: 'BRIDGE',
                port_mappings: [{ container_port: 80, host_port: 28080, protocol: 'tcp' }],
                privileged: false,
              },
            },
            statuses: [
              {
                timestamp: 1_700_001_000.5,
                labels: { 'Docker.NetworkSettings.IPAddress': '172.17.0.5' },
                networks: [{ ips: ['172.17.0.5'], form: 'both' }],
              },
            ],
          },
        ],
      },
    ],
  });
}

/** Two schedulers with the same name and no pid (HTTP API), each with a task on an overlay network. */
export function overlayState(): Json {
  const overlayTask = (id: string, name: string, agent: string, ip: string): TaskSpec => ({
    id, name, agent,
    container: { type: 'DOCKER', docker: { image: 'example/shell:2', network: 'USER' }, network_infos: [{ name: 'overlay-1' }] },
    statuses: [{ timestamp: 1_700_002_000.25, labels: { 'Docker.NetworkSettings.IPAddress': ip }, networks: [{ ips: [ip], name: 'overlay-1', form: 'both' }] }],
  });
  return masterState({
    leader: 'master@10.41.0.2:5050',
    agents: [
      { id: 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-S1', host: '10.41.3.135' },
      { id: 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-S0', host: '10.41.0.67' },
    ],
    frameworks: [
      {
        id: 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-0002',
        name: 'mesos-execute instance',
        hostname: 'ops-box-1',
        tasks: [overlayTask('owl', 'owl', 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-S1', '9.0.1.130')],
      },
      {
        id: 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-0001',
        name: 'mesos-execute instance',
        hostname: 'ops-box-2',
        tasks: [overlayTask('fox', 'fox', 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-S0', '9.0.0.130')],
      },
      {
        id: 'a3c1e5f7-2b4d-4f68-9a0c-1e3f5a7b9c2d-0000',
        name: 'marathon',
        pid: 'scheduler-6d2a4c8e-3f51-4b79-a0d2-5e7c9b1f3a64@10.41.0.2:32997',
      },
    ],
  });
}

/** A task whose DiscoveryInfo port carries a VIP label; a second, task-less registration of `marathon`. */
export function discoveryVipState(): Json {
  const agents = ['S2', 'S1', 'S0'].map((tail, i) => ({ id: `c7e9a1b3-5d2f-4e60-8b4a-6f1d3c5e7a90-${tail}`, host: `10.42.0.${10 + i}` }));
  return masterState({
    leader: 'master@10.42.0.2:5050',
    agents,
    frameworks: [
      {
        id: 'c7e9a1b3-5d2f-4e60-8b4a-6f1d3c5e7a90-0001', name: 'marathon', pid: 'scheduler-1f3b5d7e-9a2c-4e64-8b0d-2a4c6e8f0b13@10.42.0.2:43078',
        tasks: [{
          id: 'sleeper.4d6f8a0c-2e1b-11ee-9f3a-0242ac110007', name: 'sleeper', agent: agents[1]!.id, ports: '[19426-19426]',
          discovery: { name: 'sleeper', visibility: 'FRAMEWORK', ports: [{ number: 19426, name: 'myport', labels: { VIP_0: '10.42.8.8:8080' } }] },
          statuses: [{ timestamp: 1_700_003_000.75, networks: [{ ips: ['10.42.0.11'], form: 'both' }] }],
        }],
      },
      { id: 'c7e9a1b3-5d2f-4e60-8b4a-6f1d3c5e7a90-0000', name: 'marathon', pid: 'scheduler-7a9c1e3f-5b2d-4f80-9c6e-3b5d7f9a1c24@10.42.0.2:55803' },
    ],
  });
}

/** Health-checked instances (healthy, unhealthy, unchecked) with legacy `VIP_PORT<n>` task labels,
 * their network given in the Mesos 0.25 form (one `ip_address`, no list). */
export function healthCheckVipState(): Json {
  const agent = 'e1f3a5c7-9b2d-4f46-8e0a-4c6e8a0b2d35-S2';
  const instance = (id: string, name: string, ip: string, healthy: boolean | undefined, vip: string): TaskSpec => ({
    id, name, agent, ports: '[31234-31234]',
    labels: { VIP_PORT0: vip },
    healthCheck: { type: 'COMMAND', command: { value: 'true' }, interval_seconds: 10 },
    statuses: [{ timestamp: 1_700_004_000.5, ...(healthy === undefined ? {} : { healthy }), networks: [{ ips: [ip], form: 'single' }] }],
  });
  return masterState({
    leader: 'master@10.43.0.2:5050',
    agents: [{ id: agent, host: '10.43.0.1' }],
    frameworks: [{
      id: 'e1f3a5c7-9b2d-4f46-8e0a-4c6e8a0b2d35-0000', name: 'marathon', pid: 'scheduler-2c4e6a8b-0d1f-4357-9b8d-4f6a8c0e2b46@10.43.0.2:37628',
      tasks: [
        instance('quill.0f1e2d3c-3a4b-11ee-8c5d-0242ac110009', 'quill', '10.43.5.1', true, 'tcp://10.43.7.2:1234'),
        instance('quill.1a2b3c4d-3a4b-11ee-8c5d-0242ac110009', 'quill', '10.43.5.2', false, 'tcp://10.43.7.2:1234'),
        instance('ink.2b3c4d5e-3a4b-11ee-8c5d-0242ac110009', 'ink', '10.43.5.3', false, 'tcp://10.43.7.1:1234'),
        instance('paper.3c4d5e6f-3a4b-11ee-8c5d-0242ac110009', 'paper', '10.43.5.4', undefined, 'udp://10.43.7.3:1234'),
      ],
    }],
  });
}

/** An agent's /state with a UCR task on a bridge network (VIP and `network-scope: host` port labels). */
export function ucrBridgeAgentState(): Json {
  return agentState({
    agent: { id: 'f2a4c6e8-0b1d-4375-9c8e-5d7f9b1d3f57-S0', host: '10.44.0.5' },
    frameworks: [
      {
        id: 'f2a4c6e8-0b1d-4375-9c8e-5d7f9b1d3f57-0001',
        name: 'marathon',
        executors: [
          {
            id: 'quay-1.6e8a0c2e-4b5c-11ee-9d6e-0242ac11000b',
            name: 'quay-1',
            agent: 'f2a4c6e8-0b1d-4375-9c8e-5d7f9b1d3f57-S0',
            ports: '[21768-21768]',
            discovery: { name: 'quay-1', ports: [{ number: 21768, labels: { VIP_0: '/quay-1:5000', 'network-scope': 'host' } }] },
            container: {
              type: 'MESOS',
              mesos: { image: { type: 'DOCKER', docker: { name: 'example/httpd' } } },
              network_infos: [{ name: 'mesos-bridge', port_mappings: [{ host_port: 21768, container_port: 80, protocol: 'tcp' }] }],
            },
            statuses: [{ timestamp: 1_700_005_000.5, networks: [{ ips: ['172.31.254.3'], name: 'mesos-bridge' }] }],
          },
        ],
      },
    ],
  });
}

/** A leading master with nothing running yet. */
export function emptyState(): Json {
  return masterState({ leader: 'master@127.0.0.1:5050', agents: [], frameworks: [] });
}

/** A large, untidy state: one app with a hundred instances, a thousand completed tasks, a task whose
 * container reported empty addresses, a framework with no tasks, and an agent known only by name. */
export function crowdedState(): Json {
  const busy = 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-S76044';
  const named = 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-S76043';
  const instances: TaskSpec[] = Array.from({ length: 100 }, (_, i) => ({
    id: `echo.${(0x10000000 + i).toString(16)}-5c6d-11ee-8e7f-0242ac11000d`, name: 'echo', agent: busy, ports: `[${25000 + i}-${25000 + i}]`,
    labels: { VIP_PORT0: 'tcp://10.45.9.49:5000' },
    statuses: [{ timestamp: 1_700_006_000 + i / 100, healthy: true, networks: [{ ips: [`10.45.1.${i + 1}`], form: 'both' }] }],
  }));
  const completed: TaskSpec[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `echo.${(0x20000000 + i).toString(16)}-5c6d-11ee-8e7f-0242ac11000d`,
    name: 'echo',
    agent: 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-S73',
    state: 'TASK_KILLED',
    ports: `[${27000 + (i % 1000)}-${27000 + (i % 1000)}]`,
    statuses: [
      { timestamp: 1_699_000_000 + i, healthy: true },
      { state: 'TASK_KILLED', timestamp: 1_699_500_000 + i },
    ],
  }));
  return masterState({
    leader: 'master@10.45.0.211:5050',
    cluster: 'crowded',
    agents: [
      { id: 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-S76045', host: '10.45.0.228', hostname: 'agent-228.crowded.internal' },
      { id: named, host: 'agent-68.crowded.internal' },
      { id: busy, host: '10.45.0.51' },
    ],
    frameworks: [
      {
        id: 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-0001',
        name: 'marathon-user',
        pid: 'scheduler-8b0d2f4a-6c1e-4389-a7b9-1d3f5b7d9e02@10.45.0.51:58781',
        webuiUrl: 'http://agent-51.crowded.internal:18484',
      },
      {
        id: 'd4f6a8c0-2e3b-4597-8a1c-7e9b1d3f5a68-0000',
        name: 'marathon',
        pid: 'scheduler-9c1e3a5b-7d2f-4490-b8ca-2e4a6c8e0f13@10.45.0.211:44467',
        tasks: [
          ...instances,
          {
            id: 'pinger.3e5a7c9b-5c6d-11ee-8e7f-0242ac11000d',
            name: 'pinger',
            agent: named,
            ports: '[7907-7907]',
            container: { type: 'DOCKER', docker: { image: 'example/pinger:1', network: 'HOST' } },
            statuses: [
              { timestamp: 1_700_006_500.5, labels: { 'Docker.NetworkSettings.IPAddress': '' }, networks: [{ ips: [''], form: 'both' }] },
            ],
          },
        ],
        completedTasks: completed,
      },
    ],
  });
}

/** An agent's /state with a framework registered and nothing running on it. */
export function idleAgentState(): Json {
  return agentState({
    agent: { id: 'f2a4c6e8-0b1d-4375-9c8e-5d7f9b1d3f57-S3', host: '10.44.0.8' },
    frameworks: [{ id: 'f2a4c6e8-0b1d-4375-9c8e-5d7f9b1d3f57-0000', name: 'marathon', executors: [] }],
  });
}
