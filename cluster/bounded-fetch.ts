// GET a JSON document with a deadline and a size cap, so a hanging or oversized answer from a master
// costs one timeout, never the process's memory.
import { createHash } from 'node:crypto';
import { ClusterError } from './errors.js';
import { parseJsonBytes } from './json-bytes.js';

export interface BoundedFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly headers?: Record<string, string>;
  readonly fetch?: typeof fetch;
}

export async function fetchJson(url: string, options: BoundedFetchOptions): Promise<unknown> {
  return (await fetchJsonWithDigest(url, options)).value;
}

/** The parsed answer and a SHA-1 of its bytes, so an unchanged document can be recognised without diffing it. */
export async function fetchJsonWithDigest(url: string, options: BoundedFetchOptions): Promise<{ value: unknown; digest: string }> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { headers: options.headers, signal, redirect: 'follow' });
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
    throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: ${reason}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${url}: ${declared} bytes is over the limit of ${options.maxBytes}`);
  }
  let chunks: Uint8Array[] = [];
  let size = 0;
  // Hashed as it arrives: the digest needs no second pass over a joined copy.
  const hash = createHash('sha1');
  try {
    for await (const chunk of response.body ?? []) {
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
  let bytes: Buffer | null = Buffer.concat(chunks, size);
  chunks = [];
  // The chunks, the joined bytes, their text and the document: each dropped once the next exists.
  const value = parseJsonBytes(bytes, `${url}: the answer is not JSON`);
  bytes = null;
  return { value, digest: hash.digest('hex') };
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
