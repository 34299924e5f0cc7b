// Talks to the kernel's routing netlink through iproute2's `ip`, one process per change.
//
// Why not an npm netlink library: the one candidate (`netlink`) is a native addon with a single
// maintainer, last released in 2024, that pins @types/node 12; native code inside the Gatehouse process
// would turn any of its bugs into a crash of every listener, DNS and the gateway included. `ip` is the
// netlink client kept by the kernel's own network developers, installed wherever a dummy interface makes
// sense, and says what failed in words that have stayed stable for years. Changes are rare (a VIP that
// appears or goes), and one `ip` run takes about 2 ms, so a process per change costs nothing that matters.
import { execFile } from 'node:child_process';

/** What went wrong, read from `ip`'s exit and its message (the kernel's errno as iproute2 prints it). */
export type IpFailure =
  | 'no-tool' //            `ip` itself could not be run (iproute2 not installed)
  | 'not-permitted' //      EPERM: no CAP_NET_ADMIN
  | 'exists' //             EEXIST
  | 'no-device' //          the link does not exist
  | 'no-route' //           ESRCH: the route to delete is not there
  | 'unknown-kind' //       the kernel has no driver for that link kind (e.g. CONFIG_DUMMY off)
  | 'other';

export class IpCommandError extends Error {
  constructor(
    readonly failure: IpFailure,
    readonly command: string,
    readonly detail: string,
  ) {
    super(`\`${command}\` failed: ${detail}`);
  }
}

const PATTERNS: readonly [RegExp, IpFailure][] = [
  [/Operation not permitted/i, 'not-permitted'],
  [/File exists/i, 'exists'],
  [/Unknown device type/i, 'unknown-kind'],
  [/Cannot find device|Device "[^"]*" does not exist|No such device/i, 'no-device'],
  [/No such process|FIB table does not exist/i, 'no-route'],
];

export function classify(stderr: string): IpFailure {
  return PATTERNS.find(([pattern]) => pattern.test(stderr))?.[1] ?? 'other';
}

/**
 * Runs `ip` with the given arguments and resolves with its standard output. `argv` is how to run
 * `ip` (tests give `['ip', '-n', '<netns>']` to work in a namespace of their own).
 */
export function runIp(argv: readonly string[], args: readonly string[], timeoutMs = 5000): Promise<string> {
  const [command, ...prefix] = argv as [string, ...string[]];
  const all = [...prefix, ...args];
  const shown = [command, ...all].join(' ');
  return new Promise((resolve, reject) => {
    execFile(command, all, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const spawnCode = (error as NodeJS.ErrnoException).code;
      if (spawnCode === 'ENOENT' || spawnCode === 'EACCES')
        return reject(new IpCommandError('no-tool', shown, `${command} cannot be run (${spawnCode}): install iproute2`));
      const detail = stderr.trim() || (error.killed ? `no answer within ${timeoutMs} ms` : error.message);
      reject(new IpCommandError(classify(stderr), shown, detail));
    });
  });
}
