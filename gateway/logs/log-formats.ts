// dcos-log's output formats. A task file's line: the text itself (text/plain), or an entry
// `{"fields":{"MESSAGE":…,"AGENT_ID":…},"cursor":…}` (JSON lines, and the `data:` of each
// server-sent event, whose `id:` is where the next line starts). A component entry: journald's JSON
// (`fields` with MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, _PID, _HOSTNAME, _SYSTEMD_UNIT…), or
// journalctl's short text line.
import type { LogFormat } from './log-request.js';
import { PROCESS_UNIT, type LogRecord } from './log-ring.js';

export const CONTENT_TYPES: Readonly<Record<LogFormat, string>> = {
  text: 'text/plain; charset=utf-8',
  json: 'application/json',
  sse: 'text/event-stream',
};

/** One line of a sandbox file; `next` is the byte offset just after it (the SSE id, the JSON cursor). */
export function fileLine(format: LogFormat, message: string, next: number, fields: Readonly<Record<string, string>>): string {
  if (format === 'text') return `${message}\n`;
  const entry = JSON.stringify({
    fields: { MESSAGE: message, ...fields },
    cursor: String(next),
    monotonic_timestamp: 0,
    realtime_timestamp: Date.now() * 1000,
  });
  return format === 'json' ? `${entry}\n` : `id: ${next}\ndata: ${entry}\n\n`;
}

/** syslog priorities for pino's levels: fatal 2 (crit), error 3, warn 4, info 6, debug and trace 7. */
function priority(level: number): string {
  return level >= 60 ? '2' : level >= 50 ? '3' : level >= 40 ? '4' : level >= 30 ? '6' : '7';
}

export function componentFields(record: LogRecord, bootTime: number): Record<string, string> {
  return {
    MESSAGE: record.message,
    PRIORITY: priority(record.level),
    SYSLOG_IDENTIFIER: 'gatehouse',
    SYSLOG_FACILITY: '3',
    _PID: String(record.pid),
    _HOSTNAME: record.hostname,
    _SYSTEMD_UNIT: PROCESS_UNIT,
    _TRANSPORT: 'stdout',
    _BOOT_ID: String(bootTime),
    ...(record.unit ? { UNIT: record.unit } : {}),
  };
}

export function componentCursor(record: LogRecord): string {
  return `gatehouse-${record.seq}`;
}

export function componentEntry(format: LogFormat, record: LogRecord, bootTime: number): string {
  if (format === 'text') return `${ansic(new Date(record.time))} ${record.hostname} gatehouse[${record.pid}]: ${record.message}\n`;
  const entry = JSON.stringify({
    fields: componentFields(record, bootTime),
    cursor: componentCursor(record),
    monotonic_timestamp: Math.max(0, Math.round((record.time - bootTime) * 1000)),
    realtime_timestamp: record.time * 1000,
  });
  return format === 'json' ? `${entry}\n` : `id: ${componentCursor(record)}\ndata: ${entry}\n\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.ANSIC layout (`Mon Jan _2 15:04:05 2006`), which dcos-log's text lines start with; in UTC. */
export function ansic(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')}`;
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day} ${time} ${date.getUTCFullYear()}`;
}
