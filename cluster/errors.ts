// Errors of the cluster area, with stable codes. The embedded cluster's own errors
// (cluster/local/errors.ts) are ClusterErrors too, with their own codes.
import { GatehouseError } from '../core/index.js';

export type ClusterErrorCode =
  | 'ERR_CLUSTER_CONFIG'
  | 'ERR_CLUSTER_EVENT_TOO_LARGE'
  | 'ERR_CLUSTER_FETCH_FAILED'
  | 'ERR_CLUSTER_NOT_LEADER'
  | 'ERR_CLUSTER_RESOLVE_TIMEOUT'
  | 'ERR_CLUSTER_STATE_INVALID'
  | 'ERR_CLUSTER_STATE_TOO_LARGE';

export class ClusterError<Code extends string = ClusterErrorCode> extends GatehouseError {
  declare readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
