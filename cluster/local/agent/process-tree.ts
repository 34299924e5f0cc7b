// A task's processes as the host sees them: every descendant of its first process, found by walking
// /proc. Killing the whole tree (not just the first process) is what keeps a stopped task stopped.
import { readdir, readFile } from 'node:fs/promises';

let recent: { at: number; children: Promise<Map<number, number[]> | null> } | null = null;

/** Host PIDs of `root` and all its descendants (empty when `root` is gone). */
export async function processTree(root: number): Promise<number[]> {
  // Stopping many tasks at once asks for many trees at once: one /proc walk serves them all.
  if (!recent || Date.now() - recent.at > 50) recent = { at: Date.now(), children: childrenByParent() };
  const children = await recent.children;
  if (!children) return [root];
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

async function childrenByParent(): Promise<Map<number, number[]> | null> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  await Promise.all(entries.map(async (entry) => {
    if (!/^\d+$/.test(entry)) return;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => null);
    if (!stat) return;
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }));
  return children;
}

export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Resident memory of the processes in bytes (from /proc/<pid>/statm). */
export async function residentBytes(pids: readonly number[]): Promise<number> {
  let pages = 0;
  await Promise.all(pids.map(async (pid) => {
    const statm = await readFile(`/proc/${pid}/statm`, 'latin1').catch(() => null);
    if (statm) pages += Number(statm.split(' ')[1]) || 0;
  }));
  return pages * 4096;
}
