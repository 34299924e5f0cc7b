// One logger for the process. On a terminal: one human line per event (time, level, message, then
// the event's fields on the same line). Otherwise (a pipe, a file, the journal, a container log):
// JSON lines for machines. `LOG_FORMAT=json|pretty` or `--pretty` overrides the guess.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly pretty: boolean;
}

/** Secrets must never reach a log line, whatever a caller passes by mistake. */
export const REDACT = { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'secret', '*.secret'], censor: '[redacted]' };

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { name: 'gatehouse' },
    redact: REDACT,
  };
  if (!options.pretty) return pino(base);
  return pino(base, pretty({
    colorize: process.stdout.isTTY ?? false,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
  }));
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
