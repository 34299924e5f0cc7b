// The operator API's SUBSCRIBE streams: each subscriber gets a RecordIO stream (`<length>\n<message>`)
// of Events: SUBSCRIBED with the whole state, then every change the master publishes, and HEARTBEAT
// every interval. What a subscriber has not read yet stays in its socket's write buffer; a subscriber
// that lets it grow past the limit is dropped (logged), so a client that never reads costs a bounded
// amount of memory instead of all of it.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LocalMaster, MasterEvent } from '../master/master.js';
import { agentMessage, frameworkInfo, frameworkMessage, getState, statusMessage, taskMessage } from './operator-json.js';
import { encodeMessage, type MediaType } from './operator-proto.js';

/** Mesos's DEFAULT_HEARTBEAT_INTERVAL. */
export const HEARTBEAT_SECONDS = 15;
/** Unread bytes a subscriber may leave behind before it is dropped. */
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

export interface OperatorEventsOptions {
  readonly master: LocalMaster;
  readonly logger?: Logger;
  readonly heartbeatMs?: number;
  readonly maxQueuedBytes?: number;
}

interface Subscriber {
  readonly response: ServerResponse;
  readonly mediaType: MediaType;
  readonly peer: string;
}

export interface OperatorEventStats {
  readonly subscribers: number;
  /** Subscribers dropped because they did not read. */
  readonly dropped: number;
  /** The most unread bytes any subscriber has had waiting. */
  readonly peakQueuedBytes: number;
}

export class OperatorEvents {
  readonly #options: OperatorEventsOptions;
  readonly #subscribers = new Set<Subscriber>();
  readonly #onEvent = (event: MasterEvent): void => this.#broadcast(eventMessage(this.#options.master, event));
  #heartbeat: NodeJS.Timeout | null = null;
  #dropped = 0;
  #peak = 0;

  constructor(options: OperatorEventsOptions) {
    this.#options = options;
  }

  stats(): OperatorEventStats {
    return { subscribers: this.#subscribers.size, dropped: this.#dropped, peakQueuedBytes: this.#peak };
  }

  subscribe(response: ServerResponse, mediaType: MediaType): void {
    const subscriber: Subscriber = { response, mediaType, peer: `${response.req.socket.remoteAddress ?? '?'}:${response.req.socket.remotePort ?? '?'}` };
    response.writeHead(200, { 'content-type': mediaType, 'cache-control': 'no-cache' });
    if (this.#subscribers.size === 0) this.#start();
    this.#subscribers.add(subscriber);
    response.once('close', () => this.#remove(subscriber));
    const { master } = this.#options;
    this.#send(subscriber, { type: 'SUBSCRIBED', subscribed: { get_state: getState(master), heartbeat_interval_seconds: this.#heartbeatMs() / 1000 } });
    this.#send(subscriber, { type: 'HEARTBEAT' });
  }

  close(): void {
    for (const subscriber of this.#subscribers) subscriber.response.destroy();
    this.#subscribers.clear();
    this.#stop();
  }

  #heartbeatMs(): number {
    return this.#options.heartbeatMs ?? HEARTBEAT_SECONDS * 1000;
  }

  #start(): void {
    this.#options.master.on('event', this.#onEvent);
    this.#heartbeat = setInterval(() => this.#broadcast({ type: 'HEARTBEAT' }), this.#heartbeatMs());
    this.#heartbeat.unref();
  }

  #stop(): void {
    this.#options.master.off('event', this.#onEvent);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #remove(subscriber: Subscriber): void {
    if (this.#subscribers.delete(subscriber) && this.#subscribers.size === 0) this.#stop();
  }

  // Encoded once per media type, whatever the number of subscribers.
  #broadcast(message: Record<string, unknown>): void {
    const encoded = new Map<MediaType, Buffer>();
    for (const subscriber of [...this.#subscribers]) {
      let record = encoded.get(subscriber.mediaType);
      if (!record) encoded.set(subscriber.mediaType, (record = frame(encodeMessage('Event', message, subscriber.mediaType))));
      this.#write(subscriber, record);
    }
  }

  #send(subscriber: Subscriber, message: Record<string, unknown>): void {
    this.#write(subscriber, frame(encodeMessage('Event', message, subscriber.mediaType)));
  }

  #write(subscriber: Subscriber, record: Buffer): void {
    const { response } = subscriber;
    if (response.destroyed) return;
    response.write(record);
    const queued = response.writableLength;
    if (queued > this.#peak) this.#peak = queued;
    if (queued > (this.#options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES)) {
      this.#dropped++;
      this.#options.logger?.warn({ peer: subscriber.peer, queuedBytes: queued }, 'operator API: dropping a SUBSCRIBE client that does not read its events');
      this.#remove(subscriber);
      response.destroy();
    }
  }
}

/** RecordIO: the message's length in decimal, a newline, the message. */
function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length}\n`), message]);
}

function eventMessage(master: LocalMaster, event: MasterEvent): Record<string, unknown> {
  switch (event.type) {
    case 'TASK_ADDED':
      return { type: event.type, task_added: { task: taskMessage(event.task) } };
    case 'TASK_UPDATED':
      return {
        type: event.type,
        task_updated: {
          framework_id: { value: event.task.launch.frameworkId },
          status: statusMessage(event.status),
          state: event.task.state,
        },
      };
    case 'AGENT_ADDED':
      return { type: event.type, agent_added: { agent: agentMessage(master, event.agent) } };
    case 'AGENT_REMOVED':
      return { type: event.type, agent_removed: { agent_id: { value: event.agentId } } };
    case 'FRAMEWORK_ADDED':
      return { type: event.type, framework_added: { framework: frameworkMessage(master, event.framework) } };
    case 'FRAMEWORK_UPDATED':
      return { type: event.type, framework_updated: { framework: frameworkMessage(master, event.framework) } };
    case 'FRAMEWORK_REMOVED':
      return { type: event.type, framework_removed: { framework_info: frameworkInfo(master, event.framework) } };
  }
}
