// Stopping `npm start` the ways people do: SIGTERM or SIGINT to npm's PID, SIGTERM to its process
// group, Ctrl-C on its terminal (a real pty through `script`), and SIGKILL of the Gatehouse process.
// Each runs the real process tree (npm -> gatehouse -> gateway workers and tasks) from a copy of the
// project with ephemeral ports, and afterwards no process of the tree, no listening port and no task
// cgroup may be left; what a SIGKILL leaves is ended by the next start at the latest.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { REPO_ROOT } from '../support/gatehouse-process.js';
import { cgroupDirs, descendants, existing, isGone, listeningPorts, probe, type Proc } from '../support/process-tree.js';
import { until } from '../support/until.js';
import { writeSigningKey } from '../support/premade-authn.js';
import { tiedToWorker } from '../support/tied-to-worker.js';

const INSTANCES = 2;
// A task that forks: the `sleep` is a grandchild of the task's first process, the kind of process that
// outlives a killed parent unless something finds it. The task listens on its port with perl (in
// every Debian: perl-base is essential), a tenth of the CPU of starting node, for 18 tasks a run.
const LISTENER = 'my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => $ENV{HOST}, LocalPort => $ENV{PORT0}, ReuseAddr => 1) or die "no listener $!";'
  + ' while (my $c = $s->accept) { print $c "HTTP/1.0 200 OK\\r\\n\\r\\nok"; close $c }';
const APP = `id: /stopper\ninstances: ${INSTANCES}\ncpus: 0.1\nmem: 64\ncmd: |-\n  sleep 600 & exec perl -MIO::Socket::INET -e '${LISTENER}'\n`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-stop-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface ProjectOptions {
  readonly workers: number;
  readonly isolation: 'auto' | 'none';
  readonly ports: string;
}

/** A copy of the project as a user has it: the real package.json (its start script), bin, dist, node_modules. */
async function project(name: string, options: ProjectOptions): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'config', 'apps.d'), { recursive: true });
  await copyFile(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  for (const link of ['bin', 'dist', 'node_modules']) await symlink(join(REPO_ROOT, link), join(dir, link));
  await writeFile(join(dir, 'config', 'apps.d', 'stopper.yaml'), APP);
  // The run's test key instead of a new one per start (up to 0.5 s of CPU); the users file is the first start's.
  await writeSigningKey(join(dir, '.gatehouse', 'signing-key.pem'));
  await writeConfig(dir, options);
  return dir;
}

async function writeConfig(dir: string, options: ProjectOptions): Promise<void> {
  await writeFile(
    join(dir, 'config', 'gatehouse.yaml'),
    [
      'cluster:',
      `  local: { apps: config/apps.d, workDir: .gatehouse/work, http: "127.0.0.1:0", isolation: ${options.isolation}, resources: { cpus: 2, mem: 1024, disk: 1024, ports: "${options.ports}" } }`,
      'dns: { listen: "127.0.0.1:0", http: "127.0.0.1:0" }',
      `gateway: { listen: "127.0.0.1:0", workers: ${options.workers}, shutdownTimeout: 2s }`,
      'authn: { signingKey: .gatehouse/signing-key.pem, users: .gatehouse/users.yaml }',
    ].join('\n'),
  );
}

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The tree once Gatehouse runs and every task is up. */
  readonly tree: Proc[];
  readonly gatehouse: Proc;
  send(text: string): void;
  /** What npm and Gatehouse printed so far: a failed case shows the end of it. */
  output(): string;
}

/**
 * Whatever of this tree still runs when the test ends is killed by PID (a case that fails before it
 * stops npm would otherwise leave `npm start`, Gatehouse and its tasks running). Tasks of a killed
 * Gatehouse are no longer its descendants, so the tree seen while it ran is remembered too.
 */
function killAtEnd(test: TestContext, child: ChildProcess, seen: Proc[]): void {
  test.onTestFinished(async () => {
    const procs = [...seen, ...(child.pid ? await descendants(child.pid) : [])];
    for (const proc of procs) {
      if (await isGone(proc)) continue;
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });
}

async function npmStart(test: TestContext, dir: string, onTerminal: boolean): Promise<Started> {
  const env = { ...process.env, LOG_FORMAT: 'json' };
  const child = onTerminal
    ? spawn(...tiedToWorker('script', ['-qfec', 'npm start', '/dev/null']), { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(...tiedToWorker('npm', ['start']), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const seen: Proc[] = [];
  killAtEnd(test, child, seen);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = false;
  let output = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output += `${line}\n`;
    if (line.includes('"msg":"gatehouse is running"')) running = true;
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  if (!(await until(async () => running, (ok) => ok, 30_000))) throw new Error(`gatehouse did not start:\n${output}`);
  const liveTree = async (): Promise<Proc[]> => {
    const procs = await descendants(child.pid!);
    seen.push(...procs.filter((p) => !seen.some((s) => s.pid === p.pid && s.startTime === p.startTime)));
    return procs;
  };
  await until(liveTree, (procs) => procs.filter((p) => p.cmdline.startsWith('sleep 600')).length === INSTANCES, 30_000);
  // Every task listens too (gateway, DNS, DNS API, cluster API, agent, and one port per task). The tree
  // is read again at each look: a task that failed (its port held by another socket, say) comes back
  // as a new process, and that is the one that listens. The task ports are below the kernel's
  // ephemeral range (32768 and up), where no client socket of a test running beside can hold them.
  const { tree } = await until(
    async () => {
      const procs = await liveTree();
      return { tree: procs, ports: await listeningPorts(procs) };
    },
    (now) => now.ports.length >= INSTANCES + 5,
    30_000,
  ).catch((error: unknown) => {
    const taskLines = output.split('\n').filter((line) => /task/i.test(line)).slice(-10);
    throw new Error(`not every task listens: ${String(error)}\nthe task lines of the log:\n${taskLines.join('\n')}`);
  });
  const gatehouse = tree.find((p) => p.cmdline.includes('bin/gatehouse run'))!;
  expect(gatehouse).toBeDefined();
  return { child, exited, tree, gatehouse, send: (text) => child.stdin!.write(text), output: () => output };
}

async function expectNothingLeft(tree: readonly Proc[], ports: readonly number[], cgroups: readonly string[]): Promise<void> {
  const alive = async () => (await Promise.all(tree.map(async (p) => ((await isGone(p)) ? null : p)))).filter((p): p is Proc => p !== null);
  const left = await until(alive, (procs) => procs.length === 0, 10_000).catch(async () => alive());
  expect(left.map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
  expect(await Promise.all(ports.map(async (port) => `${port}: ${await probe(port)}`))).toEqual(ports.map((port) => `${port}: refused`));
  expect(await existing(cgroups)).toEqual([]);
}

interface Case {
  readonly name: string;
  readonly workers: number;
  readonly ports: string;
  readonly onTerminal?: boolean;
  stop(started: Started): void;
}

async function stopCase(c: Case, test: TestContext): Promise<void> {
  const dir = await project(c.name.replace(/\W+/g, '-'), { workers: c.workers, isolation: 'auto', ports: c.ports });
  const started = await npmStart(test, dir, c.onTerminal ?? false);
  const ports = await listeningPorts(started.tree);
  const cgroups = await cgroupDirs(started.gatehouse.pid);
  c.stop(started);
  await started.exited;
  await expectNothingLeft(started.tree, ports, cgroups).catch((error: unknown) => {
    throw withOutput(error, started);
  });
}

function withOutput(error: unknown, started: Started): unknown {
  if (error instanceof Error) error.message += `\nthe last lines npm and Gatehouse printed:\n${started.output().split('\n').slice(-25).join('\n')}`;
  return error;
}

// Each case has its own project copy, task port range and process tree. They run one after another:
// five npm start trees at once timed out on two cores. SIGTERM to npm's process group once left
// gatehouse-<pid> in cpu and memory in 1 run of 8: npm's forwarded copy of the signal arrived while
// Gatehouse swapped its signal listeners, and ended it (test/cli/stop-signal.test.ts has that case).
describe('npm start stops without leaving tasks, ports or cgroups', () => {
  describe('signals to npm', () => {
    const cases: Case[] = [
      { name: 'SIGTERM to npm\'s PID', workers: 2, ports: '22000-22019', stop: (s) => s.child.kill('SIGTERM') },
      { name: 'SIGINT to npm\'s PID', workers: 1, ports: '22020-22039', stop: (s) => s.child.kill('SIGINT') },
      { name: 'SIGTERM to npm\'s process group', workers: 1, ports: '22040-22059', stop: (s) => process.kill(-s.child.pid!, 'SIGTERM') },
      { name: 'SIGKILL of npm (Gatehouse notices its parent is gone)', workers: 1, ports: '22060-22079', stop: (s) => s.child.kill('SIGKILL') },
    ];
    it.sequential.for(cases)('$name', { timeout: 60_000 }, (c, test) => stopCase(c, test));
  });

  describe('Ctrl-C, and SIGKILL of Gatehouse', () => {
    it.sequential(
      'Ctrl-C on the terminal (SIGINT to the foreground group)',
      { timeout: 60_000 },
      (test) => stopCase({ name: 'Ctrl-C on the terminal', workers: 2, ports: '22080-22099', onTerminal: true, stop: (s) => s.send('\u0003') }, test),
    );

    it.sequential.for([
      { name: 'with namespaces and cgroups where the host allows them', isolation: 'auto' as const, workers: 2, ports: '22200-22219' },
      // Gateway workers are not tasks: how they go with their SIGKILLed primary does not depend on the
      // isolation of tasks, and the case above checks it; one worker here saves two process starts.
      { name: 'as plain processes (isolation: none)', isolation: 'none' as const, workers: 1, ports: '22220-22239' },
    ])(
      'SIGKILL of the Gatehouse process, $name: its tasks end, at the latest when it starts again',
      { timeout: 90_000 },
      async ({ isolation, workers, ports: range }, test) => {
        const dir = await project(`sigkill-${isolation}`, { workers, isolation, ports: range });
        const first = await npmStart(test, dir, false);
        const ports = await listeningPorts(first.tree);
        const cgroups = await cgroupDirs(first.gatehouse.pid);
        process.kill(first.gatehouse.pid, 'SIGKILL');
        await first.exited;
        // The ports go with the process (its workers and the tasks' servers die with it)...
        const probed = await until(
          async () => Promise.all(ports.map(probe)),
          (r) => r.every((x) => x === 'refused'),
          10_000,
        );
        expect(probed).toEqual(ports.map(() => 'refused'));
        // ...and whatever outlived it is ended by the next start (ports are not checked again: the new
        // run may be handed the same ephemeral port numbers). That start runs one gateway worker: what
        // ends the tasks left behind is the cluster's start, not the gateway's.
        await writeConfig(dir, { workers: 1, isolation, ports: range });
        const second = await npmStart(test, dir, false);
        await expectNothingLeft(first.tree, [], cgroups);
        second.child.kill('SIGTERM');
        await second.exited;
      },
    );
  });
});
