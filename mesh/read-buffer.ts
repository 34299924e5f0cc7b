// The buffer a backend socket reads into (net.connect's `onread`), one per connection: reused from
// read to read, so forwarding allocates nothing per chunk. It starts small, as most connections are
// idle or carry small messages (10,000 idle connections must stay cheap), grows once a read fills it
// (a transfer: fewer, larger reads), and shrinks back when reads are small again. A buffer whose
// bytes are still queued for the client (the kernel did not take them all) is left to that write and
// a fresh one is used.
export const SMALL_READ = 2048;
export const LARGE_READ = 256 * 1024;

export class ReadBuffer {
  #buffer: Buffer | null = null;
  #size = SMALL_READ;
  #fresh = true;

  /** `onread.buffer`: called when the socket is made and after each read, for the next read's buffer. */
  readonly next = (): Buffer => {
    if (this.#fresh || !this.#buffer || this.#buffer.length !== this.#size) this.#buffer = Buffer.allocUnsafe(this.#size);
    this.#fresh = false;
    return this.#buffer;
  };

  /** After a read of `n` bytes: `pending` when some of them still wait to be written (the buffer is theirs). */
  filled(n: number, pending: boolean): void {
    if (n === this.#size) this.#size = LARGE_READ;
    else if (n <= SMALL_READ) this.#size = SMALL_READ;
    if (pending) this.#fresh = true;
  }
}
