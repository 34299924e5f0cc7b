// Telling a running process apart from a reused PID: the kernel's start time of a PID, read from /proc.
import { readFile } from 'node:fs/promises';

/** The kernel's start time of `pid` (tells a reused PID apart), '' when gone; 'alive' without /proc. */
export async function startTimeOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => null);
  if (stat !== null) return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch {
    return '';
  }
}
