// A client of the Mesos v1 operator API for tests: calls in JSON or protobuf over real HTTP, protobuf
// answers decoded with protobufjs against the .proto files the master ships, and SUBSCRIBE streams
// read record by record.
import type protobuf from 'protobufjs';
import { loadProtoRoot } from '../../cluster/proto-root.js';
import { RecordIoReader } from '../../cluster/recordio.js';

const root = loadProtoRoot('master.proto');
export const Call = root.lookupType('mesos.v1.master.Call');
export const Response = root.lookupType('mesos.v1.master.Response');
export const Event = root.lookupType('mesos.v1.master.Event');

const TO_OBJECT = { enums: String, longs: Number, bytes: String, defaults: false } as const;

export type Wire = 'json' | 'protobuf';
export const MEDIA: Record<Wire, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

export function encodeCall(type: string, wire: Wire): Buffer {
  return wire === 'json' ? Buffer.from(JSON.stringify({ type })) : Buffer.from(Call.encode(Call.fromObject({ type })).finish());
}

/** A protobuf message decoded into Mesos's JSON form (the same form the JSON answers have). */
export function decode(type: protobuf.Type, bytes: Uint8Array): any {
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

/** One call, answered as `wire`: the decoded Response (JSON parsed, protobuf decoded). */
export async function call(base: string, type: string, wire: Wire, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(`${base}/api/v1`, {
    method: 'POST',
    headers: { 'content-type': MEDIA[wire], accept: MEDIA[wire], ...headers },
    body: encodeCall(type, wire),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`${type}: HTTP ${response.status} ${Buffer.from(bytes).toString()}`);
  if (response.headers.get('content-type') !== MEDIA[wire]) throw new Error(`${type}: answered as ${response.headers.get('content-type')}`);
  return wire === 'json' ? JSON.parse(Buffer.from(bytes).toString()) : decode(Response, bytes);
}

export interface Subscription {
  /** Waits for the next event that matches (events before it are skipped). */
  next(predicate?: (event: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

export async function subscribe(base: string, wire: Wire): Promise<Subscription> {
  const abort = new AbortController();
  const response = await fetch(`${base}/api/v1`, {
    method: 'POST',
    headers: { 'content-type': MEDIA[wire], accept: MEDIA[wire] },
    body: encodeCall('SUBSCRIBE', wire),
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`SUBSCRIBE: HTTP ${response.status}`);
  const reader = new RecordIoReader(16 * 1024 * 1024);
  const events: any[] = [];
  const waiters = new Set<() => void>();
  let ended: Error | null = null;
  void (async () => {
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        for (const record of reader.push(chunk)) events.push(wire === 'json' ? JSON.parse(record.toString()) : decode(Event, record));
        for (const wake of waiters) wake();
      }
      ended = new Error('the stream ended');
    } catch (error) {
      ended = error as Error;
    }
    for (const wake of waiters) wake();
  })();
  return {
    next(predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          while (events.length > 0) {
            const event = events.shift();
            if (predicate(event)) return finish(() => resolve(event));
          }
          if (ended) finish(() => reject(ended));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no matching event within ${timeoutMs} ms`))), timeoutMs);
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
