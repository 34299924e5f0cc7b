// One SUBSCRIBE session against a Mesos master's v1 operator API (JSON): GET_MASTER to learn the
// leader's pid, then SUBSCRIBE, then the RecordIO stream until it ends. A non-leading master answers
// 307 to the leader; an old Mesos (or anything else) that does not speak the API refuses; a stream
// that goes quiet for five heartbeat intervals counts as broken, as Mesos advises subscribers.
import type { Logger } from 'pino';
import { ClusterError } from './errors.js';
import { describeNetworkError, httpCall, type HttpAnswer } from './http-client.js';
import { OperatorStateModel } from './operator-state.js';
import { RecordIoReader } from './recordio.js';
import { isObject, str, type Json } from './state-fields.js';

export type SessionEnd =
  | { readonly kind: 'redirect'; readonly leader: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'broken'; readonly reason: string; readonly subscribed: boolean }
  | { readonly kind: 'closed' };

export interface SessionHandlers {
  /** The stream's first event: the whole state. */
  subscribed(model: OperatorStateModel, leaderPid: string): void;
  /** One or more events were applied to the model (a chunk's worth, each event whole). */
  changed(model: OperatorStateModel): void;
  /** Something arrived (an event or a heartbeat): the view is current. */
  alive(): void;
}

export interface SessionOptions {
  readonly timeoutMs: number;
  readonly maxRecordBytes: number;
  readonly logger: Logger;
  readonly userAgent?: string;
}

// "This endpoint or call is not for us here": absent, not allowed (authentication), not understood.
const REFUSALS = new Set([400, 401, 403, 404, 405, 406, 415, 501]);

export class MesosSubscriptionSession {
  readonly #options: SessionOptions;
  readonly #abort = new AbortController();

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  close(): void {
    this.#abort.abort();
  }

  async run(base: string, handlers: SessionHandlers): Promise<SessionEnd> {
    let subscribed = false;
    let watchdog: NodeJS.Timeout | null = null;
    try {
      const master = await this.#post(base, 'GET_MASTER', AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]));
      if (!('response' in master)) return master;
      const info = await jsonOf(master.response, this.#options.maxRecordBytes);
      const leaderPid = leaderPidOf(info, base);
      const stream = await this.#post(base, 'SUBSCRIBE', this.#abort.signal);
      if (!('response' in stream)) return stream;
      const body = stream.response.body;
      const reader = new RecordIoReader(this.#options.maxRecordBytes);
      let model: OperatorStateModel | null = null;
      let quietMs = 5 * 15_000;
      const arm = (): void => {
        if (watchdog) clearTimeout(watchdog);
        watchdog = setTimeout(() => this.#abort.abort(new ClusterError('ERR_CLUSTER_FETCH_FAILED', `no event or heartbeat for ${quietMs} ms`)), quietMs);
        watchdog.unref();
      };
      arm();
      for await (const chunk of body) {
        arm();
        let changed = false;
        for (const record of reader.push(chunk)) {
          const event = JSON.parse(record.toString('utf8')) as Json;
          if (event['type'] === 'SUBSCRIBED') {
            const subscribedEvent = isObject(event['subscribed']) ? event['subscribed'] : {};
            const heartbeat = Number(subscribedEvent['heartbeat_interval_seconds']);
            if (heartbeat > 0) quietMs = heartbeat * 5 * 1000;
            model = new OperatorStateModel(subscribedEvent['get_state']);
            subscribed = true;
            handlers.subscribed(model, leaderPid);
            changed = false;
          } else if (model && model.apply(event)) {
            changed = true;
          }
        }
        if (changed && model) handlers.changed(model);
        handlers.alive();
      }
      return { kind: 'broken', reason: 'the master ended the stream', subscribed };
    } catch (error) {
      if (this.#abort.signal.aborted && !(this.#abort.signal.reason instanceof ClusterError)) return { kind: 'closed' };
      const reason = this.#abort.signal.reason instanceof ClusterError ? this.#abort.signal.reason.message : describeNetworkError(error);
      return { kind: 'broken', reason, subscribed };
    } finally {
      if (watchdog) clearTimeout(watchdog);
    }
  }

  async #post(base: string, type: string, signal: AbortSignal): Promise<{ response: HttpAnswer } | SessionEnd> {
    const response = await httpCall(`${base}/api/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': this.#options.userAgent ?? 'Gatehouse' },
      body: JSON.stringify({ type }),
      redirect: 'manual',
      signal,
    });
    if (response.status === 200) return { response };
    response.discard();
    const location = response.headers.location;
    if ((response.status === 307 || response.status === 302) && location) return { kind: 'redirect', leader: new URL(location, base).origin };
    if (REFUSALS.has(response.status)) return { kind: 'refused', reason: `${type}: HTTP ${response.status}` };
    return { kind: 'broken', reason: `${type}: HTTP ${response.status}`, subscribed: false };
  }
}

/** The leader's pid from GET_MASTER (`master@ip:port`), or one made from the URL asked. */
function leaderPidOf(answer: Json, base: string): string {
  const info = isObject(answer['get_master']) && isObject(answer['get_master']['master_info']) ? answer['get_master']['master_info'] : {};
  const pid = str(info['pid']);
  if (pid.includes('@')) return pid;
  const address = isObject(info['address']) ? info['address'] : {};
  const url = new URL(base);
  return `master@${str(address['ip'], url.hostname)}:${Number(address['port'] ?? url.port ?? 5050)}`;
}

/** GET_MASTER's answer: a few kilobytes, read whole (the session's deadline bounds the wait, the record limit its size). */
async function jsonOf(response: HttpAnswer, maxBytes: number): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > maxBytes) throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `GET_MASTER: the answer is over the limit of ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as Json;
}
