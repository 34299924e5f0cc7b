// Mesos's v1 agent API messages (agent.Call, agent.Response, ProcessIO) in both wire forms, shared by
// the embedded agent, which answers them, and the gateway, which must know a call's type before it
// lets it through (`dcos task exec` runs commands). One decoder for both, so the type the gateway
// checks is the type the agent acts on. The .proto files ship with the embedded cluster's API.
import type protobuf from 'protobufjs';
import { loadProtoRoot } from './proto-root.js';

export type AgentMediaType = 'application/json' | 'application/x-protobuf';
export const AGENT_MEDIA_TYPES: readonly AgentMediaType[] = ['application/json', 'application/x-protobuf'];
export const RECORDIO = 'application/recordio';

interface AgentTypes {
  readonly call: protobuf.Type;
  readonly response: protobuf.Type;
  readonly processIo: protobuf.Type;
  readonly callTypes: Readonly<Record<string, number>>;
}

let loaded: AgentTypes | null = null;

/** Loaded on first use (protobufjs with it): most gateway processes never see an agent call. */
export function agentTypes(): AgentTypes {
  if (loaded) return loaded;
  const root = loadProtoRoot('agent.proto');
  loaded = {
    call: root.lookupType('mesos.v1.agent.Call'),
    response: root.lookupType('mesos.v1.agent.Response'),
    processIo: root.lookupType('mesos.v1.agent.ProcessIO'),
    callTypes: root.lookupEnum('mesos.v1.agent.Call.Type').values,
  };
  return loaded;
}

/**
 * Calls that run, feed, read or stop a command in a container: an admin power (`gateway.exec`). A
 * type number the enum does not know never gets here: it decodes as no type and is refused.
 */
export const EXEC_CALL_TYPES: ReadonlySet<string> = new Set([
  'LAUNCH_NESTED_CONTAINER',
  'LAUNCH_NESTED_CONTAINER_SESSION',
  'LAUNCH_CONTAINER',
  'ATTACH_CONTAINER_INPUT',
  'ATTACH_CONTAINER_OUTPUT',
  'KILL_NESTED_CONTAINER',
  'KILL_CONTAINER',
  'REMOVE_NESTED_CONTAINER',
  'REMOVE_CONTAINER',
]);

/** Calls whose answer may take as long as the command runs (no upstream timeout through the gateway). */
export const LONG_CALL_TYPES: ReadonlySet<string> = new Set([
  'LAUNCH_NESTED_CONTAINER_SESSION',
  'ATTACH_CONTAINER_INPUT',
  'ATTACH_CONTAINER_OUTPUT',
  'WAIT_NESTED_CONTAINER',
  'WAIT_CONTAINER',
]);

export class AgentCallDecodeError extends Error {}

/** A decoded message in Mesos's JSON shape: snake_case fields, enum names, uint64 as numbers, bytes as Buffers. */
export type AgentMessage = Record<string, unknown>;

// bytes stay Buffers (protobufjs's default in Node); JSON's base64 becomes a Buffer through fromObject.
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number };

/** Parses one message of `type` (a Call, or a ProcessIO) in a media type; the error says what is wrong. */
export function decodeAgentMessage(body: Uint8Array, mediaType: AgentMediaType, type: protobuf.Type): AgentMessage {
  if (mediaType === 'application/x-protobuf') {
    try {
      return type.toObject(type.decode(Buffer.isBuffer(body) ? body : Buffer.from(body)), TO_OBJECT);
    } catch (error) {
      throw new AgentCallDecodeError(`Failed to parse body into ${type.name} protobuf: ${(error as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    throw new AgentCallDecodeError(`Failed to parse body into JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new AgentCallDecodeError(`Failed to convert JSON into ${type.name}: not a JSON object`);
  const raw = (json as { type?: unknown }).type;
  // fromObject would drop a type name it does not know, and the call would look typeless.
  if (type.name === 'Call' && raw !== undefined && raw !== null && !(typeof raw === 'string' && Object.hasOwn(agentTypes().callTypes, raw)))
    throw new AgentCallDecodeError(`Failed to convert JSON into Call protobuf: 'type': ${JSON.stringify(raw)} is not a value of mesos.v1.agent.Call.Type`);
  try {
    return type.toObject(type.fromObject(json), TO_OBJECT);
  } catch (error) {
    throw new AgentCallDecodeError(`Failed to convert JSON into ${type.name} protobuf: ${(error as Error).message}`);
  }
}

/** One message (a Response or a ProcessIO, in Mesos's JSON shape) in the media type asked for. */
export function encodeAgentMessage(type: protobuf.Type, object: AgentMessage, mediaType: AgentMediaType): Buffer {
  if (mediaType === 'application/json') {
    // proto3 JSON writes `bytes` as base64.
    return Buffer.from(JSON.stringify(object, (_key, value: unknown) => (isBufferJson(value) ? Buffer.from(value.data).toString('base64') : value)));
  }
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data);
}

/** `<length>\n<bytes>`: one RecordIO record. */
export function recordIo(message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${message.length}\n`, 'latin1'), message]);
}

/** The media type a header names, without parameters, lower case; '' when absent. */
export function mediaTypeOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
  return value.split(';')[0]!.trim().toLowerCase();
}
