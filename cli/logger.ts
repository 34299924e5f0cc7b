// One logger for the process. On a terminal: one human line per event (time, level, message, then
// the event's fields on the same line). Otherwise (a pipe, a file, the journal, a container log):
// JSON lines for machines. `LOG_FORMAT=json|pretty` or `--pretty` overrides the guess.
import { multistream, pino, stdSerializers, type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';
import { mapStackTrace, requirePackage } from '../core/index.js';
import { StdoutLines } from './stdout-lines.js';
import type { LogRing } from '../gateway/index.js';

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly pretty: boolean;
  /** Also keeps every line in this ring (the component log the gateway serves), whatever goes to stdout. */
  readonly ring?: LogRing;
  /** Where JSON lines go (default stdout); tests point it at a pipe. */
  readonly fd?: number;
}

/** Secrets must never reach a log line, whatever a caller passes by mistake. */
export const REDACT = { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'secret', '*.secret'], censor: '[redacted]' };

const outputs: StdoutLines[] = [];
/** Log lines (other than access lines) dropped because stdout took nothing: `gatehouse_log_lines_dropped_total`. */
export const droppedLogLines = (): number => outputs.reduce((sum, output) => sum + output.dropped, 0);

/** Synchronous JSON lines that never hold the process up for long when nobody reads (cli/stdout-lines.ts). */
function stdoutLines(fd: number): StdoutLines {
  const output = new StdoutLines(fd);
  outputs.push(output);
  return output;
}

/**
 * pino-pretty (about 30 modules) is loaded only when human lines are chosen: JSON, the default off a
 * terminal, never needs it (test/e2e/startup-modules.test.ts checks a JSON `gatehouse run`).
 */
const loadPretty = (): typeof PinoPretty => requirePackage<typeof PinoPretty>('pino-pretty');

/** pino's own `err` serializer, its stack naming the .ts files (core/stack-traces.ts): mapped only for errors logged. */
function serializeError(error: unknown): unknown {
  const serialized: unknown = stdSerializers.err(error as Error);
  const record = serialized !== null && typeof serialized === 'object' ? (serialized as { stack?: unknown }) : null;
  if (typeof record?.stack === 'string') record.stack = mapStackTrace(record.stack);
  return serialized;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { name: 'gatehouse' },
    redact: REDACT,
    serializers: { err: serializeError },
  };
  const out = options.pretty
    ? loadPretty()({
      colorize: process.stdout.isTTY ?? false,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
    })
    : stdoutLines(options.fd ?? 1);
  if (!options.ring) return pino(base, out);
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
