// The cluster area: what other areas may import.
export type * from './snapshot.js';
export { IP_SOURCES, tasksOf } from './snapshot.js';
export { ClusterError, type ClusterErrorCode } from './errors.js';
export { parseMasterState, type ParseStateOptions } from './parse-state.js';
export { parseStateBytes } from './state-scan.js';
export { parseMarathonApps, withMarathon } from './marathon.js';
export { snapshotFromWire, snapshotToWire, type SnapshotWire } from './snapshot-wire.js';
export { ClusterStore, type ClusterStoreOptions } from './store.js';
export { isUsable, stateAtAge, type SnapshotView, type StoreStatus, type SnapshotState, type StalenessLimits } from './snapshot-view.js';
export type { ClusterSource } from './source.js';
export { MesosSource, type MesosSourceOptions } from './mesos-source.js';
export { FileSource, type FileSourceOptions } from './file-source.js';
export { createSource } from './create-source.js';
export type { HostResolver } from './resolve-host.js';
export {
  buildVipTable,
  assignAddresses,
  parseVipRange,
  namedVipFqdn,
  vipDomainFrag,
  vipLabelText,
  appOfTask,
  L4LB_ZONE,
  type Vip,
  type VipBackend,
  type VipProblem,
  type VipTable,
  type VipTableOptions,
} from './vip-table.js';
export { parseVipValue } from './vip-labels.js';
export {
  agentTypes,
  decodeAgentMessage,
  encodeAgentMessage,
  mediaTypeOf,
  recordIo,
  AgentCallDecodeError,
  AGENT_MEDIA_TYPES,
  EXEC_CALL_TYPES,
  LONG_CALL_TYPES,
  RECORDIO,
  type AgentMediaType,
  type AgentMessage,
} from './agent-call.js';
export { RecordIoReader } from './recordio.js';
export { describeNetworkError, httpCall, HttpCallError, type HttpAnswer, type HttpCallOptions } from './http-client.js';
