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

export async function dig(port: number, name: string, type = 'A', extra: readonly string[] = []): Promise<DigResult> {
  return parseDig(await runDig(port, [name, type, ...extra], 10_000));
}

/** dig's output for `args` against 127.0.0.1:port (one try, 2 s per question, no recursion asked). */
function runDig(port: number, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', '+tries=1', ...args], { timeout: timeoutMs }, (error, stdout) => {
      if (error && !stdout) return reject(error);
      resolve(stdout);
    });
  });
}

type Question = readonly [name: string, type: string];
const questionKey = (name: string, type: string) => `${name.toLowerCase().replace(/\.?$/, '.')} ${type.toUpperCase()}`;

/**
 * A table's questions (a function: the table may be declared below) asked in one `dig` run, when the
 * first answer is needed; each answer parsed as dig() parses it. A `dig` per question cost ~20 ms of CPU
 * each (its start, and the fork from a large test worker), and the DNS tables ask dozens. A question dig
 * got no answer to fails its own case.
 */
export function digTable(port: () => number, questions: () => readonly Question[]): (name: string, type: string) => Promise<DigResult> {
  let answers: Promise<Map<string, DigResult>> | undefined;
  return async (name, type) => {
    answers ??= digMany(port(), questions());
    const answer = (await answers).get(questionKey(name, type));
    if (!answer) throw new Error(`dig gave no answer to ${name} ${type} (asked in one run with the table's other questions)`);
    return answer;
  };
}

/** Several questions in one `dig` run, keyed by question (`name. TYPE`, lower-cased name). */
export async function digMany(port: number, questions: readonly Question[]): Promise<Map<string, DigResult>> {
  const stdout = await runDig(port, questions.flat(), 30_000);
  const answers = new Map<string, DigResult>();
  // Not at a line's start: dig cuts its echo of a long command line short, and the first answer follows it on that line.
  for (const block of stdout.split(/;; Got answer:\n/).slice(1)) {
    const question = /^;;? QUESTION SECTION:\n;(\S+)\s+IN\s+(\S+)$/m.exec(block);
    if (question) answers.set(questionKey(question[1]!, question[2]!), parseDig(block));
  }
  return answers;
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
