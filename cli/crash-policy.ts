// What a serving process does with an exception nothing caught, or a rejected promise nobody awaited.
// Node's default ends the process, and with it every connection, DNS (with one gateway worker) and
// every other user's requests: one bad request must not do that. The gateway answers its own
// handlers' throws with 500 (gateway/server.ts); this is the net below that. Each one is logged (its
// code, type and stack frames: not its message, which may quote request values such as headers) and
// counted, and the process serves on: the throw unwound one callback's stack, the event loop and
// every other connection are intact. Two cases end the process (exit 2) because its state can no
// longer be trusted: a failed assertion (an invariant of our own is broken), and a storm of failures
// (more than `maxPerMinute` in a minute). Workers are then replaced by the primary; a single process
// is restarted by its supervisor.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { stackOf } from '../core/index.js';
import { EXIT_RUNTIME_FAILURE } from './exit-codes.js';

export interface CrashPolicyOptions {
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly maxPerMinute?: number;
  /** How the process ends when it must (tests pass their own). */
  readonly exit?: (code: number) => void;
}

type Kind = 'exception' | 'rejection';

/** Installs the policy for this process; returns a function that removes it. */
export function installCrashPolicy(options: CrashPolicyOptions): () => void {
  const maxPerMinute = options.maxPerMinute ?? 100;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const counter = options.registry
    ? new Counter({
        name: 'gatehouse_process_uncaught_errors_total',
        help: 'Exceptions nothing caught and promise rejections nobody handled; the process logged them and kept serving',
        labelNames: ['kind'] as const,
        registers: [options.registry],
      })
    : null;
  let windowStart = Date.now();
  let inWindow = 0;

  const handle = (kind: Kind, error: unknown): void => {
    counter?.inc({ kind });
    const failure = error as (NodeJS.ErrnoException & { generatedMessage?: boolean }) | undefined;
    const name = failure instanceof Error ? failure.name : typeof error;
    const code = failure instanceof Error ? (failure.code ?? 'none') : 'none';
    const at = stackOf(failure)?.split('\n').slice(1, 8).map((line) => line.trim());
    const now = Date.now();
    if (now - windowStart > 60_000) {
      windowStart = now;
      inWindow = 0;
    }
    inWindow++;
    const fatal = code === 'ERR_ASSERTION' ? 'a failed assertion' : inWindow > maxPerMinute ? `more than ${maxPerMinute} in a minute` : null;
    if (fatal) {
      options.logger.fatal({ kind, name, code, at }, `uncaught ${kind}: ${fatal}; exiting`);
      exit(EXIT_RUNTIME_FAILURE);
      return;
    }
    options.logger.error({ kind, name, code, at }, `uncaught ${kind}; logged and serving on`);
  };
  const onException = (error: unknown): void => handle('exception', error);
  const onRejection = (reason: unknown): void => handle('rejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.removeListener('uncaughtException', onException);
    process.removeListener('unhandledRejection', onRejection);
  };
}
