// RecordIO, the framing of Mesos's streaming answers: `<length in decimal>\n<length bytes>` repeated.
// Chunks may split a record anywhere; a record over the limit, or a length that is not a number,
// makes the stream unusable (the caller drops it and reconnects).
import { ClusterError } from './errors.js';

export class RecordIoReader {
  readonly #maxRecordBytes: number;
  #buffered: Buffer = Buffer.alloc(0);

  constructor(maxRecordBytes: number) {
    this.#maxRecordBytes = maxRecordBytes;
  }

  /** The records completed by this chunk, in order. */
  push(chunk: Uint8Array): Buffer[] {
    this.#buffered = this.#buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffered, chunk]);
    const records: Buffer[] = [];
    for (;;) {
      const newline = this.#buffered.indexOf(0x0a);
      if (newline < 0) {
        if (this.#buffered.length > 20) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', 'RecordIO: no record length in the first 20 bytes');
        return records;
      }
      const header = this.#buffered.subarray(0, newline).toString('latin1').trim();
      if (!/^\d+$/.test(header)) throw new ClusterError('ERR_CLUSTER_STREAM_INVALID', `RecordIO: "${header.slice(0, 20)}" is not a record length`);
      const length = Number(header);
      if (length > this.#maxRecordBytes)
        throw new ClusterError(
          'ERR_CLUSTER_STREAM_INVALID',
          `RecordIO: a record of ${length} bytes is over the limit of ${this.#maxRecordBytes}`,
        );
      if (this.#buffered.length < newline + 1 + length) return records;
      records.push(this.#buffered.subarray(newline + 1, newline + 1 + length));
      this.#buffered = this.#buffered.subarray(newline + 1 + length);
    }
  }
}
