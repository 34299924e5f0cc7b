// mesos.v1.master.Call.Type by name, as master.proto numbers it, for the JSON calls that need no
// protobufjs: a JSON call that is only `{"type": NAME}` (GET_MASTER and SUBSCRIBE from Gatehouse's own
// mesos source at every start, GET_STATE and the like from most clients) is checked against this table,
// and protobufjs with the parsed .proto (~100 ms of CPU) is loaded only for calls with more in them or
// for protobuf. A test compares this table with the enum protobufjs reads from master.proto.
export const MASTER_CALL_TYPES: Readonly<Record<string, number>> = Object.freeze({
  UNKNOWN: 0,
  GET_HEALTH: 1,
  GET_FLAGS: 2,
  GET_VERSION: 3,
  GET_METRICS: 4,
  GET_LOGGING_LEVEL: 5,
  SET_LOGGING_LEVEL: 6,
  LIST_FILES: 7,
  READ_FILE: 8,
  GET_STATE: 9,
  GET_AGENTS: 10,
  GET_FRAMEWORKS: 11,
  GET_EXECUTORS: 12,
  GET_OPERATIONS: 33,
  GET_TASKS: 13,
  GET_ROLES: 14,
  GET_WEIGHTS: 15,
  UPDATE_WEIGHTS: 16,
  GET_MASTER: 17,
  SUBSCRIBE: 18,
  RESERVE_RESOURCES: 19,
  UNRESERVE_RESOURCES: 20,
  CREATE_VOLUMES: 21,
  DESTROY_VOLUMES: 22,
  GROW_VOLUME: 34,
  SHRINK_VOLUME: 35,
  GET_MAINTENANCE_STATUS: 23,
  GET_MAINTENANCE_SCHEDULE: 24,
  UPDATE_MAINTENANCE_SCHEDULE: 25,
  START_MAINTENANCE: 26,
  STOP_MAINTENANCE: 27,
  GET_QUOTA: 28,
  SET_QUOTA: 29,
  REMOVE_QUOTA: 30,
  TEARDOWN: 31,
  MARK_AGENT_GONE: 32,
});

/**
 * The call's type when a JSON call holds nothing but a known type name (what protobufjs would accept
 * and read the same way); null when anything else is in it, so that the full check decides.
 */
export function plainJsonCallType(json: object): string | null {
  const keys = Object.keys(json);
  if (keys.length !== 1 || keys[0] !== 'type') return null;
  const type = (json as { type?: unknown }).type;
  return typeof type === 'string' && Object.hasOwn(MASTER_CALL_TYPES, type) ? type : null;
}
