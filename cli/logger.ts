// One logger for the process: JSON lines on stdout (pino), or human lines with --pretty.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly pretty: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { name: 'gatehouse' },
    // Secrets must never reach a log line, whatever a caller passes by mistake.
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'secret', '*.secret'], censor: '[redacted]' },
  };
  if (!options.pretty) return pino(base);
  return pino(base, pretty({ colorize: process.stdout.isTTY ?? false, sync: true, ignore: 'pid,hostname,name' }));
}

export function wantsPretty(flag: boolean | undefined): boolean {
  return flag === true || process.env['LOG_FORMAT'] === 'pretty';
}
