// A task as its agent runs it: what it was launched with, where its sandbox is, its process and cgroup.
// Its own module: the agent and the commands run inside tasks (nested-containers.ts) both read it.
import type { ChildProcess } from 'node:child_process';
import type { TaskLaunch } from '../master/task-messages.js';
import type { TaskCgroup } from './cgroups.js';

export interface RunningTask {
  readonly launch: TaskLaunch;
  readonly sandbox: string;
  readonly runId: string;
  readonly startedAt: number;
  pid: number | null;
  child: ChildProcess | null;
  cgroup: TaskCgroup | null;
  killing: boolean;
  limitation: string | null;
  exited: Promise<void>;
}
