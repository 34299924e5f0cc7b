// The operator API's messages: our .proto subset of Mesos's v1 API, loaded once with protobufjs, and
// the two wire forms Mesos speaks. JSON is the proto's own field names (snake_case) with enum names,
// as Mesos's JSON is; protobuf is the binary form Mesos's Go and C++ clients decode.
import type protobuf from 'protobufjs';
import { loadProtoRoot } from '../../proto-root.js';
import { plainJsonCallType } from './operator-call-types.js';

export type MediaType = 'application/json' | 'application/x-protobuf';

interface OperatorMessages {
  readonly Call: protobuf.Type;
  readonly Response: protobuf.Type;
  readonly Event: protobuf.Type;
  readonly callTypes: Record<string, number>;
}

let messages: OperatorMessages | null = null;

/**
 * protobufjs and the parsed .proto files (~45 modules and ~100 ms of CPU) on the first operator API
 * call in protobuf, or in JSON with more than a type in it; never when Gatehouse starts, whose own
 * source subscribes in JSON with a bare type.
 */
function operatorMessages(): OperatorMessages {
  if (messages) return messages;
  const root = loadProtoRoot('master.proto');
  messages = {
    Call: root.lookupType('mesos.v1.master.Call'),
    Response: root.lookupType('mesos.v1.master.Response'),
    Event: root.lookupType('mesos.v1.master.Event'),
    callTypes: root.lookupEnum('mesos.v1.master.Call.Type').values,
  };
  return messages;
}

/** A call as the API handles it: its type's name, or its number when our enum does not know it. */
export interface DecodedCall {
  readonly type: string | number | undefined;
}

export class CallDecodeError extends Error {}

/** Parses a request body; a CallDecodeError says what is wrong with it (Mesos answers 400 with that). */
export function decodeCall(body: Buffer, mediaType: MediaType): DecodedCall {
  if (mediaType === 'application/x-protobuf') {
    const { Call: CallType } = operatorMessages();
    let message: protobuf.Message;
    try {
      message = CallType.decode(body);
    } catch (error) {
      throw new CallDecodeError(`Failed to parse body into Call protobuf: ${(error as Error).message}`);
    }
    const object = CallType.toObject(message, { enums: String }) as { type?: string | number };
    return { type: object.type };
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new CallDecodeError(`Failed to parse body into JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CallDecodeError('Failed to convert JSON into Call protobuf: the body is not a JSON object');
  // The calls a mesos source makes at every start, decoded without protobufjs.
  const plain = plainJsonCallType(json);
  if (plain !== null) return { type: plain };
  const { Call: CallType, callTypes: CALL_TYPES } = operatorMessages();
  const type = (json as { type?: unknown }).type;
  // JSON null means "unset", as in Mesos.
  if (type !== undefined && type !== null && !(typeof type === 'string' && Object.hasOwn(CALL_TYPES, type))) {
    throw new CallDecodeError(`Failed to convert JSON into Call protobuf: 'type': ${JSON.stringify(type)} is not a value of mesos.v1.master.Call.Type`);
  }
  // verify() wants enum numbers, not names.
  const problem = CallType.verify({ ...(json as object), type: typeof type === 'string' ? CALL_TYPES[type] : undefined });
  if (problem) throw new CallDecodeError(`Failed to convert JSON into Call protobuf: ${problem}`);
  return { type: typeof type === 'string' ? type : undefined };
}

/** One message (a Response or an Event, built in Mesos's JSON form) in the media type asked for. */
export function encodeMessage(kind: 'Response' | 'Event', object: Record<string, unknown>, mediaType: MediaType): Buffer {
  if (mediaType === 'application/json') return Buffer.from(JSON.stringify(object));
  const type = operatorMessages()[kind];
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}
