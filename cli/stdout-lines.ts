// Where the process's log lines go (all but the access log): written synchronously, each line by one
// write(2) as it comes (a line up to 4 KiB reaches a pipe whole, never inside another process's), and
// never holding the process up for long when nobody reads stdout. sonic-boom, pino's synchronous
// destination, retried a write on a full pipe for ever: the process froze on its next line, and a
// SIGTERM never ended it (its "stopping" line waited).
//
// A line stdout refuses (EAGAIN) is retried for STALL_WAIT_MS; then it is kept, and later lines are
// kept without waiting until a write goes through again, which writes the kept ones first, in order.
// What is kept is bounded: past KEPT_BYTES new lines are dropped and counted. Once nobody reads at
// all (EPIPE), lines are dropped and counted.
import { writeSync } from 'node:fs';

/** How long a line waits for a stdout that takes nothing before the logger stops waiting. */
export const STALL_WAIT_MS = 1000;
/** Lines kept while stdout is stalled. */
export const KEPT_BYTES = 1024 * 1024;
const RETRY_EVERY_MS = 10;

const pause = new Int32Array(new SharedArrayBuffer(4));

export class StdoutLines {
  readonly #fd: number;
  readonly #kept: Buffer[] = [];
  #keptBytes = 0;
  #stalled = false;
  #dropped = 0;
  #gone = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** Lines dropped so far (the bound reached, or nobody reading). */
  get dropped(): number {
    return this.#dropped;
  }

  write(line: string): boolean {
    // What is kept goes first, making room when stdout takes lines again.
    if (this.#kept.length > 0) this.flushSync();
    const bytes = Buffer.from(line);
    if (this.#gone || this.#keptBytes + bytes.length > KEPT_BYTES) {
      this.#dropped += countLines(line);
    } else {
      this.#kept.push(bytes);
      this.#keptBytes += bytes.length;
    }
    this.flushSync();
    return true;
  }

  /** Writes what is kept; waits for a stalled stdout only when it was not already known to be stalled. */
  flushSync(): void {
    const deadline = this.#stalled ? 0 : Date.now() + STALL_WAIT_MS;
    while (this.#kept.length > 0) {
      const head = this.#kept[0]!;
      let written: number;
      try {
        written = writeSync(this.#fd, head);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && Date.now() < deadline) {
          Atomics.wait(pause, 0, 0, RETRY_EVERY_MS);
          continue;
        }
        if (code === 'EAGAIN') {
          this.#stalled = true;
          return;
        }
        // EPIPE (nobody reads any more) or another error: what is kept, and every later line, is lost.
        this.#gone = true;
        for (const kept of this.#kept.splice(0)) this.#dropped += countLines(kept.toString('latin1'));
        this.#keptBytes = 0;
        return;
      }
      this.#stalled = false;
      this.#keptBytes -= written;
      if (written === head.length) this.#kept.shift();
      else this.#kept[0] = head.subarray(written);
    }
  }

  flush(): void {
    this.flushSync();
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  return Math.max(1, lines);
}
