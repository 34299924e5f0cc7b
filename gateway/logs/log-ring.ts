// Gatehouse's own recent log lines, kept in memory for `dcos node log` (the component logs of
// dcos-log): a ring of the newest records, bounded in count and in the size of each message, fed
// the JSON lines the logger writes. Each record belongs to a unit, as journald's would: the whole
// process is `gatehouse.service`; lines of the embedded cluster also name the Mesos or Marathon
// unit they stand in for.
import { hostname } from 'node:os';
import { Writable } from 'node:stream';

export interface LogRecord {
  /** Increases by one per record in this process: the cursor. */
  readonly seq: number;
  /** Epoch milliseconds. */
  readonly time: number;
  /** pino's level number (10 trace … 60 fatal). */
  readonly level: number;
  readonly message: string;
  /** `dcos-mesos-master.service`, `dcos-mesos-slave.service`, `dcos-marathon.service`, or null for Gatehouse's own. */
  readonly unit: string | null;
  readonly pid: number;
  readonly hostname: string;
}

/** Where the gateway reads component logs from: the ring itself, or (in a worker) the primary's over IPC. */
export interface ComponentLogSource {
  /** The records kept, oldest first; with `after`, only those newer than that cursor (what a follower polls). */
  records(after?: number): Promise<readonly LogRecord[]>;
}

export const PROCESS_UNIT = 'gatehouse.service';
const MAX_MESSAGE = 4096;
/** Fields every line has, not worth repeating in MESSAGE. */
const PLAIN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

export class LogRing implements ComponentLogSource {
  readonly #capacity: number;
  readonly #records: LogRecord[] = [];
  #seq = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /** A writable for the logger (pino.multistream): each write is one JSON line. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        for (const line of chunk.toString().split('\n')) if (line) this.add(line);
        done();
      },
    });
  }

  /** One logger JSON line; a line that is not JSON is kept as its text. */
  add(line: string): void {
    let fields: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { msg: line };
    } catch {
      fields = { msg: line };
    }
    const extra = Object.fromEntries(Object.entries(fields).filter(([key]) => !PLAIN_FIELDS.has(key)));
    const text = `${typeof fields['msg'] === 'string' ? fields['msg'] : ''}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}`;
    this.#records.push({
      seq: ++this.#seq,
      time: typeof fields['time'] === 'number' ? fields['time'] : Date.now(),
      level: typeof fields['level'] === 'number' ? fields['level'] : 30,
      message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text,
      unit: unitOf(fields),
      pid: typeof fields['pid'] === 'number' ? fields['pid'] : process.pid,
      hostname: typeof fields['hostname'] === 'string' ? fields['hostname'] : hostname(),
    });
    if (this.#records.length > this.#capacity) this.#records.splice(0, this.#records.length - this.#capacity);
  }

  async records(after = 0): Promise<readonly LogRecord[]> {
    if (after <= 0) return this.#records.slice();
    const first = this.#records.findIndex((r) => r.seq > after);
    return first < 0 ? [] : this.#records.slice(first);
  }
}

/** The embedded cluster's loggers carry these bindings (cluster/local): agents `agent`, the scheduler `component`. */
function unitOf(fields: Record<string, unknown>): string | null {
  if (fields['agent'] !== undefined) return 'dcos-mesos-slave.service';
  if (fields['component'] === 'scheduler' || fields['component'] === 'apps') return 'dcos-marathon.service';
  if (fields['part'] === 'cluster') return 'dcos-mesos-master.service';
  return null;
}
