// The pieces under the SUBSCRIBE follower: RecordIO framing split anywhere, and the v1 state model
// that applies events whole (a malformed event changes nothing) and reads back as /master/state.
import { describe, expect, it } from 'vitest';
import { ClusterError } from '../../cluster/index.js';
import { OperatorStateModel } from '../../cluster/operator-state.js';
import { RecordIoReader } from '../../cluster/recordio.js';

describe('RecordIO', () => {
  const stream = Buffer.from('5\nhello0\n3\nabc11\n{"a":"bcd"}');
  const splits: { name: string; chunks: Buffer[] }[] = [
    { name: 'one chunk', chunks: [stream] },
    { name: 'byte by byte', chunks: [...stream].map((b) => Buffer.from([b])) },
    { name: 'split inside a length and inside a record', chunks: [stream.subarray(0, 1), stream.subarray(1, 9), stream.subarray(9, 17), stream.subarray(17)] },
  ];
  for (const { name, chunks } of splits) {
    it(`reads whole records, ${name}`, () => {
      const reader = new RecordIoReader(1024);
      const records = chunks.flatMap((chunk) => reader.push(chunk)).map((r) => r.toString());
      expect(records).toEqual(['hello', '', 'abc', '{"a":"bcd"}']);
    });
  }
  const bad: { name: string; bytes: string; message: RegExp }[] = [
    { name: 'a length that is not a number', bytes: 'x5\nhello', message: /"x5" is not a record length/ },
    { name: 'a record over the limit', bytes: '2000\n', message: /2000 bytes is over the limit of 1024/ },
    { name: 'no newline where a length should end', bytes: '1'.repeat(25), message: /no record length in the first 20 bytes/ },
  ];
  for (const t of bad) {
    it(`refuses ${t.name}`, () => {
      const reader = new RecordIoReader(1024);
      expect(() => reader.push(Buffer.from(t.bytes))).toThrow(t.message);
      expect(() => new RecordIoReader(1024).push(Buffer.from(t.bytes))).toThrow(ClusterError);
    });
  }
});

const task = (id: string, state = 'TASK_RUNNING') => ({
  name: 'web', task_id: { value: id }, framework_id: { value: 'f1' }, agent_id: { value: 's1' }, state,
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } }],
  statuses: [{ task_id: { value: id }, state, timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.0.0.5' }] }] } }],
  labels: { labels: [{ key: 'k', value: 'v' }] },
});
const GET_STATE = {
  get_agents: {
    agents: [
      {
        agent_info: { hostname: 'a1', id: { value: 's1' } },
        active: true,
        pid: 'slave(1)@10.0.0.5:5051',
        total_resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 1024 } }],
      },
    ],
  },
  get_frameworks: {
    frameworks: [{ framework_info: { user: 'root', name: 'marathon', id: { value: 'f1' }, hostname: 'm1' }, active: true }],
  },
  get_tasks: { tasks: [task('t1')] },
};

describe('the v1 state model', () => {
  it('reads back as a /master/state document', () => {
    const doc = new OperatorStateModel(GET_STATE).toMasterState('master@10.0.0.1:5050', 'prod', (id) => (id === 'f1' ? 'scheduler@10.0.0.2:8080' : undefined));
    expect(doc).toMatchObject({
      leader: 'master@10.0.0.1:5050',
      cluster: 'prod',
      slaves: [{ id: 's1', pid: 'slave(1)@10.0.0.5:5051', resources: { mem: 1024, cpus: 0, gpus: 0, disk: 0 } }],
    });
    // In the order Mesos writes them (pages list them in this order).
    expect(Object.keys((doc['slaves'] as any[])[0].resources)).toEqual(['cpus', 'mem', 'disk', 'gpus']);
    const frameworks = doc['frameworks'] as any[];
    expect(frameworks[0]).toMatchObject({ id: 'f1', name: 'marathon', pid: 'scheduler@10.0.0.2:8080' });
    expect(frameworks[0].tasks[0]).toMatchObject({
      id: 't1',
      slave_id: 's1',
      state: 'TASK_RUNNING',
      resources: { cpus: 0.5, ports: '[31000-31001]' },
      labels: [{ key: 'k', value: 'v' }],
    });
    expect(frameworks[0].tasks[0].statuses[0].container_status.network_infos[0].ip_addresses[0].ip_address).toBe('10.0.0.5');
  });

  const events: { name: string; event: Record<string, unknown>; tasks: string[]; agents: number; frameworks: number }[] = [
    {
      name: 'TASK_ADDED adds a task',
      event: { type: 'TASK_ADDED', task_added: { task: task('t2', 'TASK_STAGING') } },
      tasks: ['t1', 't2'],
      agents: 1,
      frameworks: 1,
    },
    {
      name: 'TASK_UPDATED to a terminal state removes it',
      event: {
        type: 'TASK_UPDATED',
        task_updated: { framework_id: { value: 'f1' }, status: { task_id: { value: 't1' }, state: 'TASK_KILLED' }, state: 'TASK_KILLED' },
      },
      tasks: [],
      agents: 1,
      frameworks: 1,
    },
    {
      name: 'AGENT_REMOVED removes the agent',
      event: { type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 's1' } } },
      tasks: ['t1'],
      agents: 0,
      frameworks: 1,
    },
    {
      name: 'FRAMEWORK_REMOVED removes it and its tasks',
      event: { type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: { id: { value: 'f1' } } } },
      tasks: [],
      agents: 1,
      frameworks: 0,
    },
    { name: 'HEARTBEAT changes nothing', event: { type: 'HEARTBEAT' }, tasks: ['t1'], agents: 1, frameworks: 1 },
  ];
  for (const t of events) {
    it(t.name, () => {
      const model = new OperatorStateModel(GET_STATE);
      model.apply(t.event);
      const doc = model.toMasterState('master@10.0.0.1:5050', null) as any;
      expect(doc.frameworks.flatMap((f: any) => f.tasks.map((x: any) => x.id))).toEqual(t.tasks);
      expect(doc.slaves).toHaveLength(t.agents);
      expect(doc.frameworks).toHaveLength(t.frameworks);
    });
  }

  it('TASK_UPDATED keeps the state and adds the status', () => {
    const model = new OperatorStateModel(GET_STATE);
    expect(
      model.apply({
        type: 'TASK_UPDATED',
        task_updated: {
          framework_id: { value: 'f1' },
          status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', healthy: false, timestamp: 2 },
          state: 'TASK_RUNNING',
        },
      }),
    ).toBe(true);
    const statuses = (model.toMasterState('m@h:1', null) as any).frameworks[0].tasks[0].statuses;
    expect(statuses.map((s: any) => s.healthy)).toEqual([undefined, false]);
  });

  it('a malformed event is refused whole: the model is as before', () => {
    const model = new OperatorStateModel(GET_STATE);
    const before = JSON.stringify(model.toMasterState('m@h:1', null));
    expect(() => model.apply({ type: 'TASK_ADDED', task_added: {} })).toThrow(/a task without task_id/);
    expect(() => model.apply({ type: 'AGENT_ADDED' })).toThrow(/AGENT_ADDED event without "agent_added"/);
    expect(JSON.stringify(model.toMasterState('m@h:1', null))).toBe(before);
  });
});
