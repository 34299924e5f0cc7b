// What `ls -l` shows of a sandbox file, as Mesos's `/files/browse` writes it: the mode as a string
// (`-rw-r--r--`) and the owner's user and group names (numbers when the name is unknown).
import { readFile } from 'node:fs/promises';

export function fileModeString(mode: number): string {
  const type = (mode & 0o170000) === 0o040000 ? 'd' : (mode & 0o170000) === 0o120000 ? 'l' : '-';
  let out = type;
  for (const shift of [6, 3, 0]) {
    const bits = (mode >> shift) & 7;
    out += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return out;
}

let users: Promise<Map<number, string>> | null = null;
let groups: Promise<Map<number, string>> | null = null;

// Read once per process: a sandbox lists a handful of owners, and the files change rarely.
function namesFrom(file: string): Promise<Map<number, string>> {
  return readFile(file, 'utf8').then(
    (text) =>
      new Map(
        text
          .split('\n')
          .map((line) => line.split(':'))
          .filter((f) => f.length > 2 && /^\d+$/.test(f[2]!))
          .map((f) => [Number(f[2]), f[0]!] as const),
      ),
    () => new Map(),
  );
}

export async function userName(uid: number): Promise<string> {
  return (await (users ??= namesFrom('/etc/passwd'))).get(uid) ?? String(uid);
}

export async function groupName(gid: number): Promise<string> {
  return (await (groups ??= namesFrom('/etc/group'))).get(gid) ?? String(gid);
}
