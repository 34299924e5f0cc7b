// GET a JSON document with a deadline and a size cap, so a hanging or oversized answer from a master
// costs one timeout, never the process's memory.
import { createHash } from 'node:crypto';
import { ClusterError } from './errors.js';
import { describeNetworkError, httpCall, type HttpAnswer } from './http-client.js';
import { parseJsonBytes } from './json-bytes.js';

export interface BoundedFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly headers?: Record<string, string>;
}

export async function fetchJson(url: string, options: BoundedFetchOptions): Promise<unknown> {
  return (await fetchJsonWithDigest(url, options)).value;
}

/** The parsed answer and a SHA-1 of its bytes, so an unchanged document can be recognised without diffing it. */
export async function fetchJsonWithDigest(url: string, options: BoundedFetchOptions): Promise<{ value: unknown; digest: string }> {
  const { bytes, digest } = await fetchBytesWithDigest(url, options);
  return { value: parseJsonBytes(bytes, `${url}: the answer is not JSON`), digest };
}

/** The answer's bytes (not parsed) and their SHA-1. */
export async function fetchBytesWithDigest(url: string, options: BoundedFetchOptions): Promise<{ bytes: Buffer; digest: string }> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: HttpAnswer;
  try {
    response = await httpCall(url, { ...(options.headers ? { headers: options.headers } : {}), signal });
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
    throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: ${reason}`, { cause: error });
  }
  if (!response.ok) {
    response.discard();
    throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (declared > options.maxBytes) {
    response.discard();
    throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${url}: ${declared} bytes is over the limit of ${options.maxBytes}`);
  }
  let chunks: Uint8Array[] = [];
  let size = 0;
  // Hashed as it arrives: the digest needs no second pass over a joined copy.
  const hash = createHash('sha1');
  try {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${url}: the answer is over the limit of ${options.maxBytes} bytes`);
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    const reason = signal.aborted ? `no complete answer within ${options.timeoutMs} ms` : describeNetworkError(error);
    throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: ${reason}`, { cause: error });
  }
  const bytes = Buffer.concat(chunks, size);
  chunks = [];
  return { bytes, digest: hash.digest('hex') };
}
