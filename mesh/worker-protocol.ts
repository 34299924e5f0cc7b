// Messages between the mesh in `gatehouse run` (the primary) and its balancer processes
// (mesh.workers > 1; child_process IPC, `advanced` serialization). The primary binds every VIP's
// listening socket and hands a copy to each process, which accepts from it itself: the kernel's one
// accept queue per VIP is shared, so whichever process is free takes the next connection.
import type { Vip } from '../cluster/index.js';
import type { BalanceMode } from './backends.js';
import type { ForwardSettings } from './forward.js';
import type { WorkerStats } from './metrics.js';

export interface WorkerSettings {
  readonly forward: ForwardSettings;
  readonly balance: BalanceMode;
  readonly drainTimeoutMs: number;
}

export type ToWorker =
  /** Serve this VIP on the listening socket sent with the message. */
  | { readonly type: 'listen'; readonly vip: Vip }
  /** A new table's backends for a VIP served already (connections to backends that left drain). */
  | { readonly type: 'update'; readonly vip: Vip }
  /** The VIP is gone: stop accepting, let its connections drain. */
  | { readonly type: 'close'; readonly key: string }
  | { readonly type: 'stats'; readonly seq: number }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'listening'; readonly key: string; readonly error: string | null }
  | ({ readonly type: 'stats'; readonly seq: number } & WorkerStats);
