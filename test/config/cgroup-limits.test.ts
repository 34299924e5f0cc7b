// The cgroup limit reader: fake cgroup trees (v2, v1, hybrid, a container without a cgroup
// namespace) in a temp dir, then this machine's real /sys/fs/cgroup, including a real child cgroup
// with limits that a child process joins (as root, where the hierarchy is writable).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineCapacity, readCgroupLimits } from '../../config/cgroup-limits.js';
import { REPO_ROOT } from '../support/gatehouse-process.js';

// Made when a case of this file runs, not when the file is loaded: a run that skips them all (`-t`
// naming a test elsewhere, `vitest list`) runs no afterAll to remove it.
let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'gatehouse-cgroup-'));
});
afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

function tree(name: string, files: Record<string, string>): { root: string; selfCgroup: string } {
  const root = join(temp, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root: join(root, 'sys'), selfCgroup: join(root, 'proc-self-cgroup') };
}

const GiB = 1024 ** 3;

describe('readCgroupLimits on fake cgroup trees', () => {
  const cases: { name: string; files: Record<string, string>; want: ReturnType<typeof readCgroupLimits> }[] = [
    {
      name: 'v2 container (cgroup namespace): limits at the root',
      files: {
        'proc-self-cgroup': '0::/\n',
        'sys/cgroup.controllers': 'cpu memory pids',
        'sys/cpu.max': '150000 100000\n',
        'sys/memory.max': `${2 * GiB}\n`,
      },
      want: { version: 2, cpus: 1.5, memoryBytes: 2 * GiB },
    },
    {
      name: 'v2 unlimited',
      files: {
        'proc-self-cgroup': '0::/\n',
        'sys/cgroup.controllers': 'cpu memory',
        'sys/cpu.max': 'max 100000\n',
        'sys/memory.max': 'max\n',
      },
      want: { version: 2, cpus: null, memoryBytes: null },
    },
    {
      name: 'v2 nested: the tightest limit on the way up wins',
      files: {
        'proc-self-cgroup': '0::/system.slice/gatehouse.service\n',
        'sys/cgroup.controllers': 'cpu memory',
        'sys/system.slice/cpu.max': '100000 100000',
        'sys/system.slice/memory.max': 'max',
        'sys/system.slice/gatehouse.service/cpu.max': '300000 100000',
        'sys/system.slice/gatehouse.service/memory.max': `${GiB}`,
      },
      want: { version: 2, cpus: 1, memoryBytes: GiB },
    },
    {
      name: 'v1 with cpu,cpuacct mounted together',
      files: {
        'proc-self-cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n',
        'sys/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000',
        'sys/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000',
        'sys/memory/docker/abc/memory.limit_in_bytes': `${512 * 1024 * 1024}`,
      },
      want: { version: 1, cpus: 2, memoryBytes: 512 * 1024 * 1024 },
    },
    {
      name: 'v1 unlimited: quota -1, the page-rounded 2^63 memory limit',
      files: {
        'proc-self-cgroup': '4:cpu:/\n3:memory:/\n',
        'sys/cpu/cpu.cfs_quota_us': '-1',
        'sys/cpu/cpu.cfs_period_us': '100000',
        'sys/memory/memory.limit_in_bytes': '9223372036854771712',
      },
      want: { version: 1, cpus: null, memoryBytes: null },
    },
    {
      name: 'v1 container without a cgroup namespace: the host path is not in its mount, the mount root is its cgroup',
      files: {
        'proc-self-cgroup': '4:cpu:/docker/0123\n3:memory:/docker/0123\n',
        'sys/cpu/cpu.cfs_quota_us': '50000',
        'sys/cpu/cpu.cfs_period_us': '100000',
        'sys/memory/memory.limit_in_bytes': `${GiB}`,
      },
      want: { version: 1, cpus: 0.5, memoryBytes: GiB },
    },
    {
      name: 'hybrid host: an empty unified hierarchy beside v1 limits nothing',
      files: { 'proc-self-cgroup': '4:memory:/\n0::/\n', 'sys/unified/cgroup.procs': '', 'sys/memory/memory.limit_in_bytes': `${3 * GiB}` },
      want: { version: 1, cpus: null, memoryBytes: 3 * GiB },
    },
    { name: 'no cgroup file system at all', files: { 'proc-self-cgroup': '' }, want: { version: null, cpus: null, memoryBytes: null } },
  ];
  for (const c of cases) it(c.name, () => expect(readCgroupLimits(tree(c.name.replace(/\W+/g, '-'), c.files))).toEqual(c.want));
});

describe('machineCapacity', () => {
  const cores = availableParallelism();
  const cases: { name: string; limits: ReturnType<typeof readCgroupLimits>; cpuCount: number; cpus: number; memoryBytes: number }[] = [
    {
      name: 'no limits: the host',
      limits: { version: null, cpus: null, memoryBytes: null },
      cpuCount: cores,
      cpus: cores,
      memoryBytes: totalmem(),
    },
    {
      name: 'a 0.5 CPU quota still runs one worker',
      limits: { version: 2, cpus: 0.5, memoryBytes: GiB },
      cpuCount: 1,
      cpus: Math.min(cores, 0.5),
      memoryBytes: Math.min(totalmem(), GiB),
    },
    {
      name: 'a quota above the cores is the cores',
      limits: { version: 2, cpus: cores + 8, memoryBytes: totalmem() * 4 },
      cpuCount: cores,
      cpus: cores,
      memoryBytes: totalmem(),
    },
  ];
  for (const c of cases) it(c.name, () => expect(machineCapacity(c.limits)).toEqual({ cpuCount: c.cpuCount, cpus: c.cpus, memoryBytes: c.memoryBytes }));
});

describe("this machine's /sys/fs/cgroup", () => {
  it('is read as the version that is mounted', () => {
    const limits = readCgroupLimits();
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const v1 = existsSync('/sys/fs/cgroup/memory') || existsSync('/sys/fs/cgroup/cpu');
    expect(limits.version).toBe(v2 ? 2 : v1 ? 1 : null);
  });

  // A real cgroup with a 1-CPU quota and a 256 MiB limit: a child process joins it and reads its
  // limits, and `gateway.workers: auto` and the agent's default mem follow them.
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const canCreate =
    process.getuid?.() === 0 &&
    (v2
      ? /\bcpu\b/.test(safeRead('/sys/fs/cgroup/cgroup.subtree_control')) &&
        /\bmemory\b/.test(safeRead('/sys/fs/cgroup/cgroup.subtree_control'))
      : existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && existsSync('/sys/fs/cgroup/memory/cgroup.procs'));
  it.skipIf(!canCreate)('a process in a limited cgroup reads its limits, and the config defaults follow them', () => {
    const name = `gatehouse-limits-test-${process.pid}`;
    const dirs = v2 ? [join('/sys/fs/cgroup', name)] : [join('/sys/fs/cgroup/cpu', name), join('/sys/fs/cgroup/memory', name)];
    for (const dir of dirs) mkdirSync(dir);
    try {
      if (v2) {
        writeFileSync(join(dirs[0]!, 'cpu.max'), '100000 100000');
        writeFileSync(join(dirs[0]!, 'memory.max'), String(256 * 1024 * 1024));
      } else {
        writeFileSync(join(dirs[0]!, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(dirs[0]!, 'cpu.cfs_quota_us'), '100000');
        writeFileSync(join(dirs[1]!, 'memory.limit_in_bytes'), String(256 * 1024 * 1024));
      }
      const script = `
        import { writeFileSync } from 'node:fs';
        for (const dir of ${JSON.stringify(dirs)}) writeFileSync(dir + '/cgroup.procs', String(process.pid));
        const { readCgroupLimits } = await import('./dist/config/cgroup-limits.js');
        const { parseConfig } = await import('./dist/config/index.js');
        const config = parseConfig('gateway: { workers: auto }\\n', 'inline.yaml');
        console.log(JSON.stringify({ limits: readCgroupLimits(), workers: config.gateway.workers, mem: config.cluster.local.resources.mem, cpus: config.cluster.local.resources.cpus }));`;
      const out = JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' }),
      ) as { limits: ReturnType<typeof readCgroupLimits>; workers: number; mem: number; cpus: number };
      expect(out.limits).toEqual({ version: v2 ? 2 : 1, cpus: 1, memoryBytes: 256 * 1024 * 1024 });
      expect(out.workers).toBe(1);
      expect(out.cpus).toBe(1);
      expect(out.mem).toBe(192);
    } finally {
      for (const dir of dirs) {
        try {
          rmdirSync(dir);
        } catch {
          // the child has exited; a cgroup is removable once empty
        }
      }
    }
  });
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
