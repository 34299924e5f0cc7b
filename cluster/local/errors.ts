// Errors of the embedded cluster (master, agents, scheduler, app files), with stable codes.
import { ClusterError } from '../errors.js';

export type LocalClusterErrorCode =
  | 'ERR_CLUSTER_LOCAL_OPTIONS'
  | 'ERR_CLUSTER_LOCAL_LISTEN'
  | 'ERR_CLUSTER_LOCAL_NOT_STARTED'
  | 'ERR_CLUSTER_LOCAL_OFFER_INVALID'
  | 'ERR_CLUSTER_LOCAL_OFFER_TOO_SMALL'
  | 'ERR_CLUSTER_LOCAL_FRAMEWORK_UNKNOWN'
  | 'ERR_CLUSTER_LOCAL_TASK_KILLED'
  | 'ERR_CLUSTER_LOCAL_HEALTH_TIMEOUT'
  // The agent's files API (sandbox paths): each answers with its own HTTP status.
  | 'ERR_CLUSTER_LOCAL_FILES_BAD_PATH'
  | 'ERR_CLUSTER_LOCAL_FILES_OUTSIDE'
  | 'ERR_CLUSTER_LOCAL_FILES_NOT_FOUND'
  | 'ERR_CLUSTER_LOCAL_FILES_BAD_RANGE'
  | 'ERR_CLUSTER_LOCAL_FILES_KIND'
  | 'ERR_CLUSTER_LOCAL_AGENT_CALL'
  | 'ERR_CLUSTER_LOCAL_NESTED_CONTAINER'
  // The app catalog's codes predate this class; they stay as they are because they are stable.
  | 'ERR_CLUSTER_APPS_UNREADABLE'
  | 'ERR_CLUSTER_CONFIG'
  | 'ERR_CLUSTER_CLOSED'
  | 'ERR_CLUSTER_STARTED';

export class LocalClusterError extends ClusterError<LocalClusterErrorCode> {}
