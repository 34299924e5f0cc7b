// One logger for the process. On a terminal: one human line per event (time, level, message, then
// the event's fields on the same line). Otherwise (a pipe, a file, the journal, a container log):
// JSON lines for machines. `LOG_FORMAT=json|pretty` or `--pretty` overrides the guess.
import { destination, multistream, pino, type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';
import { requirePackage } from '../core/index.js';
import type { LogRing } from '../gateway/index.js';

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly pretty: boolean;
  /** Also keeps every line in this ring (the component log the gateway serves), whatever goes to stdout. */
  readonly ring?: LogRing;
}

/** Secrets must never reach a log line, whatever a caller passes by mistake. */
export const REDACT = { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'secret', '*.secret'], censor: '[redacted]' };

/**
 * pino-pretty (about 30 modules) is loaded only when human lines are chosen: JSON, the default off a
 * terminal, never needs it (test/e2e/startup-modules.test.ts checks a JSON `gatehouse run`).
 */
const loadPretty = (): typeof PinoPretty => requirePackage<typeof PinoPretty>('pino-pretty');

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { name: 'gatehouse' },
    redact: REDACT,
  };
  const out = options.pretty
    ? loadPretty()({
      colorize: process.stdout.isTTY ?? false,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
    })
    : destination({ dest: 1, sync: true });
  if (!options.ring) return options.pretty ? pino(base, out) : pino(base);
  // Both get the same JSON line (redacted already): stdout as before, and the ring.
  const level = options.level === 'silent' ? 'fatal' : options.level;
  return pino(base, multistream([{ level, stream: out }, { level, stream: options.ring.stream() }]));
}

export type LogFormatChoice = { readonly flag?: boolean | undefined; readonly env?: string | undefined; readonly isTTY?: boolean | undefined };

/** Human lines for `--pretty`, `LOG_FORMAT=pretty`, or a terminal on stdout unless `LOG_FORMAT=json`. */
export function wantsPretty(flag: boolean | undefined, choice: LogFormatChoice = {}): boolean {
  const env = 'env' in choice ? choice.env : process.env['LOG_FORMAT'];
  const isTTY = 'isTTY' in choice ? choice.isTTY : process.stdout.isTTY;
  if (flag === true) return true;
  if (env === 'json') return false;
  if (env === 'pretty') return true;
  return isTTY === true;
}
