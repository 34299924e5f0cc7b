// A launch that fails after the sandbox's stdout and stderr were opened (here: the task's cgroup cannot
// be made) closes both at once, rather than leaving them to the garbage collector (which closes them
// some time later, with a warning, and holds the files open meanwhile).
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LocalAgent } from '../../../cluster/local/agent/agent.js';
import { detectIsolation } from '../../../cluster/local/agent/isolation.js';
import type { Isolation } from '../../../cluster/local/agent/isolation.js';
import type { TaskStatusUpdate } from '../../../cluster/local/master/task-messages.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'gatehouse-launch-failure-'));
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

/** The files under `dir` this process holds open. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(dir));
}

test('a launch whose cgroup cannot be made fails the task and leaves no sandbox file open', async () => {
  const real = await detectIsolation({ mode: 'none', cgroupName: `gatehouse-${process.pid}` });
  const refusing: Isolation = {
    ...real,
    describe: () => real.describe(),
    launchArgv: (command, procsFiles) => real.launchArgv(command, procsFiles),
    cgroups: Object.assign(Object.create(Object.getPrototypeOf(real.cgroups)), real.cgroups, {
      create: async () => {
        throw new Error('cgroup refused for this test');
      },
    }),
  };
  const updates: TaskStatusUpdate[] = [];
  const agent = new LocalAgent({
    id: 'agent-launch-failure',
    hostname: '127.0.0.1',
    ip: '127.0.0.1',
    resources: { cpus: 1, mem: 128, disk: 0, ports: [] },
    workDir,
    isolation: refusing,
    logger: pino({ level: 'silent' }),
    onStatus: (update) => updates.push(update),
  });
  await agent.launch({
    taskId: 'doomed.1',
    name: 'doomed',
    frameworkId: 'fw',
    agentId: agent.id,
    command: 'sleep 5',
    env: {},
    resources: { cpus: 0.1, mem: 16, disk: 0, ports: [] },
    labels: [],
    discovery: null,
    killGracePeriodMs: 1000,
  });
  expect(updates.map((u) => u.state)).toEqual(['TASK_STARTING', 'TASK_FAILED']);
  expect(updates.at(-1)?.message).toMatch(/cgroup refused for this test/);
  expect(await openFilesUnder(workDir)).toEqual([]);
  await agent.close();
});
