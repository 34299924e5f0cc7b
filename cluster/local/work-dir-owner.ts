// Who owns a workDir: `<workDir>/gatehouse.pid` names the running Gatehouse ("<pid> <start time>").
// A clean stop removes it; finding it at start with its process gone means the last Gatehouse was
// killed (SIGKILL, OOM, power loss), so processes it left in its sandboxes are found and ended here.
// Tasks carry MESOS_SANDBOX in their environment, and so does every process they fork.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { startTimeOf } from '../../core/index.js';
import { ClusterError } from '../errors.js';

export interface WorkDirClaim {
  release(): Promise<void>;
}

export async function claimWorkDir(workDir: string, logger: Logger): Promise<WorkDirClaim> {
  const file = join(workDir, 'gatehouse.pid');
  await mkdir(workDir, { recursive: true });
  const previous = parseOwner(await readFile(file, 'latin1').catch(() => ''));
  if (previous && previous.pid !== process.pid) {
    if (previous.startTime === (await startTimeOf(previous.pid))) {
      throw new ClusterError(
        'ERR_CLUSTER_LOCAL_WORKDIR_IN_USE',
        `cluster.local.workDir ${workDir} is in use by another Gatehouse (PID ${previous.pid}); stop it or give this one its own workDir`,
      );
    }
    const ended = await endLeftoverTasks(workDir);
    if (ended.length > 0)
      logger.warn(
        { previousPid: previous.pid, pids: ended },
        `ended ${ended.length} task process(es) left running by Gatehouse PID ${previous.pid}, which did not stop cleanly`,
      );
  }
  const own = `${process.pid} ${await startTimeOf(process.pid)}\n`;
  await writeFile(file, own);
  return {
    async release() {
      if ((await readFile(file, 'latin1').catch(() => '')) === own) await rm(file, { force: true });
    },
  };
}

function parseOwner(text: string): { pid: number; startTime: string } | null {
  const match = /^(\d+) (\S*)/.exec(text);
  return match ? { pid: Number(match[1]), startTime: match[2]! } : null;
}

/** SIGKILLs every process whose MESOS_SANDBOX lies in this workDir; returns their PIDs. */
export async function endLeftoverTasks(workDir: string): Promise<number[]> {
  const prefix = `MESOS_SANDBOX=${resolve(workDir, 'slaves')}/`;
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  await Promise.all(entries.map(async (entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.split('\0').some((variable) => variable.startsWith(prefix))) found.push(Number(entry));
  }));
  for (const pid of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return found.sort((a, b) => a - b);
}
