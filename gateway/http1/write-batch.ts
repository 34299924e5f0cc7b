// Writes of the lean engine's hot path (answers to clients, requests to upstreams) are gathered
// over one turn of the event loop and sent together once its I/O callbacks have run (setImmediate).
// On loopback most of a write's cost is waking the process that reads it: written one by one, with
// our own work between them, the reader has gone back to sleep before each write and is woken again;
// written in a burst, it is woken once per burst. Measured in bench/gateway.mjs: about a quarter
// less CPU per proxied request (README "Performance → Gateway"). The delay is the rest of the
// current loop turn, which the answer was waiting for anyway.

/** Something holding written bytes back until the end of the loop turn. */
export interface BatchedWriter {
  /** Sends what was held back (the writer may have been closed meanwhile). */
  flushBatched(): void;
}

const waiting: BatchedWriter[] = [];
let scheduled = false;

/** Calls the writer's flushBatched once the current loop turn's I/O callbacks have run. Call once per batch. */
export function scheduleFlush(writer: BatchedWriter): void {
  waiting.push(writer);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

function flushAll(): void {
  scheduled = false;
  // Writers scheduled while these flush (from a write's side effects) wait for the next turn.
  const writers = waiting.splice(0, waiting.length);
  let failure: unknown = null;
  for (const writer of writers) {
    try {
      writer.flushBatched();
    } catch (error) {
      // One writer's failure (a bug: socket writes report errors through events) must not keep the
      // others' bytes back; it is raised once they are out.
      failure ??= error;
    }
  }
  if (failure !== null) throw failure;
}
