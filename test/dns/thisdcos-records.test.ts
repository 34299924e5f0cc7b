// The thisdcos.directory records built in-process (no server, no dig): names that leave no label,
// tasks not running or on an agent the snapshot lacks, which ports make autoip the agent's address,
// VIP names, and the leader and masters. Found unchecked by mutation testing (TESTING.md).
import { describe, expect, it } from 'vitest';
import { parseMasterState, type Vip } from '../../cluster/index.js';
import { buildThisDcosRecordSet } from '../../dns/index.js';
import { masterState, type TaskSpec } from '../support/master-state.js';

const running = (spec: Omit<TaskSpec, 'agent'> & { agent?: string }): TaskSpec => ({ agent: 'S0', ...spec });
const vip = (name: string | null, address: string): Vip =>
  ({ key: `tcp://${name ?? address}:80`, protocol: 'tcp', name, address, port: 80, apps: [], backends: [] });

async function records(leader: string | null, vips = true) {
  const doc = masterState({
    leader,
    agents: [{ id: 'S0', host: 'agent-host' }],
    frameworks: [
      { id: 'fw0', name: '!!!', tasks: [running({ id: 'x.1', name: 'x' })] },
      {
        id: 'fw1',
        name: 'marathon',
        tasks: [
          running({
            id: 'a.1',
            name: 'web',
            discovery: {
              name: 'front',
              ports: [{ number: 80, labels: { 'network-scope': 'host', VIP_0: '/api:80' } }, { number: 82, labels: { 'network-scope': 'container' } }],
            },
            statuses: [{ timestamp: 1, networks: [{ ips: ['9.0.0.1'] }] }],
          }),
          running({
            id: 'b.1',
            name: 'db',
            discovery: { name: '', ports: [{ number: 81, labels: { 'network-scope': 'container', other: 'host' } }] },
            statuses: [{ timestamp: 1, networks: [{ ips: ['9.0.0.2'] }] }],
          }),
          running({ id: 'p.1', name: 'plain', statuses: [{ timestamp: 1, networks: [{ ips: ['9.0.0.3'] }] }] }),
          running({ id: 'c.1', name: '$$$' }),
          running({ id: 'd.1', name: 'old', state: 'TASK_FINISHED' }),
          running({ id: 'e.1', name: 'lost', agent: 'S9' }),
        ],
      },
    ],
  });
  if (leader === null) delete (doc as Record<string, unknown>)['pid'];
  const snapshot = await parseMasterState(doc, {
    source: { kind: 'mesos', origin: 'thisdcos' },
    fetchedAt: 0,
    // Hosts with two addresses: a name gets the first only.
    resolveHost: async (host) => ({ 'agent-host': ['10.0.0.2', '10.0.0.4'], 'master-3': ['10.0.0.3', '10.0.0.5'] })[host] ?? [],
    masters: ['10.0.0.1:5050', 'master-3:5050'],
  });
  const set = buildThisDcosRecordSet(snapshot, {
    vips: vips ? { vips: [vip('api.marathon.l4lb.thisdcos.directory', '11.0.0.1'), vip(null, '11.0.0.2')], problems: [] } : null,
    soaMname: 'NS1.thisdcos.directory.',
    nsIps: ['10.0.0.1'],
  });
  return Object.fromEntries([...set.a].map(([name, ips]) => [name, [...ips]]));
}

describe('buildThisDcosRecordSet', () => {
  it('every name, and only these', async () => {
    expect(await records('master@10.0.0.1:5050')).toEqual({
      'ns1.thisdcos.directory.': ['10.0.0.1'],
      'api.marathon.l4lb.thisdcos.directory.': ['11.0.0.1'],
      'front.marathon.agentip.dcos.thisdcos.directory.': ['10.0.0.2'],
      'front.marathon.containerip.dcos.thisdcos.directory.': ['9.0.0.1'],
      'front.marathon.autoip.dcos.thisdcos.directory.': ['10.0.0.2'], // a port mapped to the host: the agent
      'db.marathon.agentip.dcos.thisdcos.directory.': ['10.0.0.2'],
      'db.marathon.containerip.dcos.thisdcos.directory.': ['9.0.0.2'],
      'db.marathon.autoip.dcos.thisdcos.directory.': ['9.0.0.2'], // no port labelled network-scope: host
      'plain.marathon.agentip.dcos.thisdcos.directory.': ['10.0.0.2'],
      'plain.marathon.containerip.dcos.thisdcos.directory.': ['9.0.0.3'],
      'plain.marathon.autoip.dcos.thisdcos.directory.': ['9.0.0.3'], // no DiscoveryInfo: the container
      'leader.dcos.thisdcos.directory.': ['10.0.0.1'],
      'master.dcos.thisdcos.directory.': ['10.0.0.1', '10.0.0.3'],
    }); // `lost` runs on an agent the snapshot lacks: no address, no name
  });

  it('no VIP table (mesh off): no l4lb names', async () => {
    expect(Object.keys(await records('master@10.0.0.1:5050', false)).filter((n) => n.includes('.l4lb.'))).toEqual([]);
  });

  it('no leader: no leader name (the masters stay)', async () => {
    const names = await records(null);
    expect(Object.keys(names).filter((n) => n.startsWith('leader.') || n.startsWith('master.'))).toEqual(['master.dcos.thisdcos.directory.']);
  });
});
