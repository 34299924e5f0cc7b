// The processes that hold the cluster's data but do not serve HTTP (the primary of `gatehouse run`
// when gateway workers serve, `gatehouse mesos-dns`, DNS workers) ask V8 to favour a small heap
// (`--optimize-for-size`: slower heap growth, earlier collection). Measured at 10,000 tasks with
// DNS on (bench/scale.mjs): RSS 194 -> 139 MB settled and 221 -> 155 MB after a rebuild, with DNS
// queries/s within the run-to-run noise. A process that serves the gateway keeps V8's defaults: its
// request rate is what its heap's headroom buys.
import { setFlagsFromString } from 'node:v8';

let applied = false;

/** Before the big allocations (the first snapshot): V8 reads the flag as its heap grows. */
export function preferSmallHeap(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--optimize-for-size');
}
