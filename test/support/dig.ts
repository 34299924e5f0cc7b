// A thin wrapper over the real `dig` client, parsing what tests assert on.
import { execFile } from 'node:child_process';

export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

export interface DigResult {
  readonly status: string;                 // NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR
  readonly flags: readonly string[];       // qr, aa, rd, ra, tc
  readonly answer: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
  readonly additional: readonly DigRecord[];
  readonly raw: string;
}

export function dig(port: number, name: string, type = 'A', extra: readonly string[] = []): Promise<DigResult> {
  const args = ['@127.0.0.1', '-p', String(port), name, type, '+norec', '+time=2', '+tries=1', ...extra];
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: 10_000 }, (error, stdout) => {
      if (error && !stdout) return reject(error);
      resolve(parseDig(stdout));
    });
  });
}

export function parseDig(text: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? 'NO_RESPONSE';
  const flags = (/;; flags: ([a-z ]+);/.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const section = (title: string): DigRecord[] => {
    const start = text.indexOf(`;; ${title} SECTION:`);
    if (start < 0) return [];
    const lines = text.slice(start).split('\n').slice(1);
    const records: DigRecord[] = [];
    for (const line of lines) {
      if (!line.trim() || line.startsWith(';')) break;
      const [name = '', ttl = '0', , type = '', ...data] = line.split(/\s+/);
      records.push({ name, ttl: Number(ttl), type, data: data.join(' ') });
    }
    return records;
  };
  return { status, flags, answer: section('ANSWER'), authority: section('AUTHORITY'), additional: section('ADDITIONAL'), raw: text };
}
