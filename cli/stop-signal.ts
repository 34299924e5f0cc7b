// When to stop: the first SIGTERM, SIGINT or SIGHUP (a closed terminal), or, when started by an npm
// script, npm going away. A second SIGINT or SIGTERM while shutting down exits at once; leftovers of such an exit
// are found and ended at the next start.
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const FORCE_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const ignore = (): void => undefined;

// Ctrl-C under `npm start` arrives twice: the terminal sends SIGINT to the whole foreground group,
// and npm forwards the one it got. Repeats this close to the first are the same keypress.
const SAME_STOP_MS = 1000;

export type StopReason = NodeJS.Signals | 'parent exited';

export interface StopOptions {
  /** Stop when the parent process exits (checked every `parentCheckMs`). Default: when run by npm. */
  readonly watchParent?: boolean;
  readonly parentCheckMs?: number;
}

/** Resolves with the reason to stop; installed before starting, so a signal during start-up counts too. */
export function untilStopSignal(options: StopOptions = {}): Promise<StopReason> {
  const watchParent = options.watchParent ?? process.env['npm_lifecycle_event'] !== undefined;
  return new Promise((resolve) => {
    let parentTimer: NodeJS.Timeout | null = null;
    const stop = (reason: StopReason) => {
      if (parentTimer) clearInterval(parentTimer);
      const stoppedAt = Date.now();
      const force = () => {
        if (Date.now() - stoppedAt >= SAME_STOP_MS) process.exit(2);
      };
      // Only a person asking again (SIGINT, SIGTERM) cuts the clean stop short. SIGHUP during the stop is
      // the terminal going away: under `script`/a terminal, npm exits at Ctrl-C before Gatehouse has
      // finished, the terminal closes and hangs up the group - that must not skip removing task cgroups.
      // The new listeners go on before the old ones come off: a signal left without a listener gets its
      // default action back at once, and a signal to npm's process group arrives twice (npm forwards its
      // copy), the copy often right then - the process ended with its tasks' cgroups left behind.
      for (const signal of FORCE_SIGNALS) process.on(signal, force);
      process.on('SIGHUP', ignore);
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      resolve(reason);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
    if (watchParent) {
      // npm killed (or its terminal gone) leaves us re-parented: nobody would stop us any more.
      const parent = process.ppid;
      parentTimer = setInterval(() => {
        if (process.ppid !== parent) stop('parent exited');
      }, options.parentCheckMs ?? 500);
      parentTimer.unref();
    }
  });
}
