// The access-log line built by hand (accessLogLine) against the line pino writes for the same entry
// (writeAccessLog): the same fields, values and order, for every kind of value a request puts in it.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLogLine, writeAccessLog, type AccessLogEntry } from '../../gateway/access-log.js';

const base = { name: 'gatehouse', part: 'gateway', worker: 2, pid: 4321 };
const bindings = `,${JSON.stringify(base).slice(1, -1)}`;

function pinoLine(entry: AccessLogEntry): string {
  let written = '';
  const logger = pino({ level: 'info', base }, { write: (line: string) => void (written += line) });
  writeAccessLog(logger, entry);
  return written;
}

const entry: AccessLogEntry = {
  requestId: 'd93de102-157f-433c-9e6b-3ba7ca1b3269',
  method: 'GET',
  target: '/app/',
  route: 'file:app',
  status: 200,
  bytes: 20,
  seconds: 0.00153,
  uid: 'bench',
};

const CASES: { name: string; entry: AccessLogEntry }[] = [
  { name: 'a proxied request', entry },
  { name: 'no caller (uid null)', entry: { ...entry, uid: null, route: 'unauthorized', status: 401 } },
  { name: 'no method (undefined: left out, as pino leaves it out)', entry: { ...entry, method: undefined } },
  { name: 'a secret query value, redacted', entry: { ...entry, target: '/app/?token=abc&page=2' } },
  { name: 'quotes, backslashes and control characters in the path', entry: { ...entry, target: '/a"b\\c\u0001d\te' } },
  { name: 'non-ASCII in the path and the uid', entry: { ...entry, target: '/caf\u00e9/\u4e2d', uid: 'j\u00fcrgen' } },
  { name: 'a path over 100 characters', entry: { ...entry, target: `/${'x"'.repeat(80)}` } },
  { name: 'a route name with a quote', entry: { ...entry, route: 'file:we"ird' } },
  { name: 'a long duration, zero bytes', entry: { ...entry, seconds: 12.34567, bytes: 0, status: 304 } },
];

describe('accessLogLine writes what pino writes for writeAccessLog', () => {
  it.each(CASES)('$name', ({ entry: e }) => {
    const expected = pinoLine(e);
    const time = (JSON.parse(expected) as { time: number }).time;
    const line = accessLogLine(bindings, e, time);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual(JSON.parse(expected));
    expect(Object.keys(JSON.parse(line))).toEqual(Object.keys(JSON.parse(expected)));
    expect(line).toBe(expected); // byte for byte, where pino's own escaping agrees with JSON.stringify
  });
});
