// Messages between the primary (`gatehouse run`, `gatehouse mesos-dns`) and its DNS worker processes
// (node:cluster IPC with `serialization: 'advanced'`: the records' Map crosses as a structured clone).
// The primary builds the records once per snapshot; each worker encodes its answer table from them
// beside the one it serves and swaps it in, as the in-process server does.
import type { GatehouseConfig } from '../config/index.js';
import type { AnswerRecords, DnsCounters, DnsServerOptions } from '../dns/index.js';

/** A DNS server's options as they cross IPC (the worker makes its own logger). */
export type WireDnsServerOptions = Omit<DnsServerOptions, 'logger' | 'registry'>;

/** One zone's records and where they came from. */
export interface ZoneRecords {
  readonly zone: string;
  readonly records: AnswerRecords;
  readonly serial: number;
  /** The snapshot generation the records were built from. */
  readonly generation: number;
}

export type ToDnsWorker =
  | {
      readonly kind: 'gatehouse-dns:init';
      /** Its slot (1..workers), kept by a replacement: the `worker` of its log lines, metrics and status. */
      readonly worker: number;
      readonly server: WireDnsServerOptions;
      readonly log: { readonly level: GatehouseConfig['log']['level']; readonly pretty: boolean };
      /** The records every zone serves now: a worker listens only once it can answer from them. */
      readonly zones: readonly ZoneRecords[];
      readonly unavailable: string | null;
    }
  | ({ readonly kind: 'gatehouse-dns:records' } & ZoneRecords)
  | { readonly kind: 'gatehouse-dns:unavailable'; readonly reason: string | null }
  | { readonly kind: 'gatehouse-dns:drain' };

export type FromDnsWorker =
  | { readonly kind: 'gatehouse-dns:ready' }
  | { readonly kind: 'gatehouse-dns:listening'; readonly udpPort: number; readonly tcpPort: number }
  | { readonly kind: 'gatehouse-dns:failed'; readonly message: string; readonly code?: string }
  /** The worker swapped in a zone's records (or could not: `error`, and it serves the previous ones). */
  | { readonly kind: 'gatehouse-dns:applied'; readonly zone: string; readonly serial: number; readonly generation: number; readonly error?: string }
  /** Its counters, once a second: the primary's registry shows them per worker. */
  | { readonly kind: 'gatehouse-dns:counters'; readonly counters: DnsCounters };

const ours = (message: unknown): boolean =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as { kind?: unknown }).kind === 'string' &&
  (message as { kind: string }).kind.startsWith('gatehouse-dns:');

export const isFromDnsWorker = (message: unknown): message is FromDnsWorker => ours(message);
export const isToDnsWorker = (message: unknown): message is ToDnsWorker => ours(message);
