// A process a test starts ends with the vitest worker that started it. On Ctrl-C or a CI job's SIGTERM,
// vitest ends its workers without the tests' own teardown: a Gatehouse a test had started (or started
// while the run was being cancelled) went on running under init, with its gateway workers and tasks,
// and its files kept in the run's temp directory. The kernel's parent-death signal (prctl
// PR_SET_PDEATHSIG, set by setpriv from util-linux) sends it SIGTERM when the worker ends, however
// the worker ends; Gatehouse stops its workers and tasks on SIGTERM as it does for a user.
// setpriv execs the command: the child keeps its PID, so a test that signals or inspects the child
// reaches the command itself. The signal is tied to the process that spawned setpriv: put this
// innermost, after any prefix that execs (`ip netns exec`, `setpriv --reuid`, which would clear it).

/** `command args` run so that it gets SIGTERM when the process that started it ends. */
export function tiedToWorker(command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'TERM', '--', command, ...args]];
}
