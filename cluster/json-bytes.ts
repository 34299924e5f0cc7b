// A JSON document from its bytes, holding as little at once as it can: the bytes are read into one
// string, which is parsed and then goes out of scope here, before the caller turns the document
// into a snapshot. A document that is not JSON is a ClusterError naming where the parser stopped.
import { ClusterError } from './errors.js';

export function parseJsonBytes(bytes: Buffer, what: string): unknown {
  let text: string | null = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ClusterError('ERR_CLUSTER_STATE_INVALID', `${what} (${(error as Error).message})`);
  } finally {
    text = null;
  }
}
