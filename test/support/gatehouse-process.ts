// Runs the real `./bin/gatehouse` binary for end-to-end tests and reads its JSON log lines.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { tiedToWorker } from './tied-to-worker.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/gatehouse', import.meta.url));

/**
 * The exit code once the process exited and its output was read to the end. 'exit' can come before the
 * last of stdout and stderr is read from the pipes (Node's documentation says so; a start-up error's
 * one line was missing in one of ~45 runs of the suite on a loaded machine); 'close' comes after both.
 * A descendant that outlives the process (a gateway worker, a task) may hold the pipes open: then the
 * code comes 2 s after the exit.
 */
export function ended(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('close', (code: number | null) => resolve(code));
    child.once('exit', (code) => setTimeout(() => resolve(code), 2000).unref());
  });
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface GatehouseProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for stderr to match (stderr and stdout are separate pipes: a line on one says nothing about the other). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `prefix`: a command that execs the binary (e.g. setpriv to run it as another user); `env`: more variables. */
export function startGatehouseProcess(
  args: readonly string[],
  options: { cwd?: string; prefix?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
): GatehouseProcess {
  const [tied, tiedArgs] = tiedToWorker(process.execPath, [BIN, ...args]);
  const [command, ...rest] = [...(options.prefix ?? []), tied, ...tiedArgs] as [string, ...string[]];
  const child = spawn(command, rest, { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, LOG_FORMAT: 'json', ...options.env } });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      logs.push(JSON.parse(text) as LogLine);
    } catch {
      logs.push({ level: 30, msg: text });
    }
    for (const wake of waiters) wake();
  });
  const exited = ended(child);
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    for (const wake of waiters) wake();
  });

  return {
    child,
    logs,
    stderr: () => stderr,
    waitForLog(predicate, timeoutMs = 15_000) {
      return new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = logs.find(predicate);
          if (found) return finish(() => resolve(found));
          if (exitCode !== undefined) return finish(() => reject(new Error(`gatehouse exited with ${exitCode}: ${stderr}`)));
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}\nlogs: ${logs.map((l) => l.msg).join(' | ')}`),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async waitForStderr(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = pattern.exec(stderr);
        if (found) return found;
        if (Date.now() > deadline || exitCode !== undefined) throw new Error(`stderr did not match ${pattern} within ${timeoutMs} ms: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs the binary to completion and returns its exit code and output. */
export function runGatehouse(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(...tiedToWorker(process.execPath, [BIN, ...args]), { cwd: options.cwd ?? REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    void ended(child).then((code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
