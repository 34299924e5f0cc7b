// The exec policy (`gateway.exec.allow`): a call to an agent's v1 API (`/agent/<id>/api/v1`, also
// `/slave/<id>/…` and libprocess's `/slave(1)/api/v1`) is read far enough to decode its type before
// anything is forwarded: the whole call, or for a RecordIO stream (ATTACH_CONTAINER_INPUT) its first
// record. Calls that run, feed, read or stop commands in containers need the policy; any other call
// passes. The type is decoded with the agent's own decoder and the body's declared media type, so
// what is checked is what the agent acts on; a body the gateway cannot decode is refused (400), a
// media type the agent would not take is refused (415), and the bytes read are forwarded unchanged,
// followed by the rest of the stream.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { decide, type AllowRule, type Caller } from '../authn/index.js';
import {
  AGENT_MEDIA_TYPES,
  AgentCallDecodeError,
  agentTypes,
  decodeAgentMessage,
  EXEC_CALL_TYPES,
  LONG_CALL_TYPES,
  mediaTypeOf,
  RECORDIO,
  RecordIoReader,
  type AgentMediaType,
} from '../cluster/index.js';
import type { GatewayAnswerCode } from './errors.js';

/** As the agent: a call is a few hundred bytes, and so is one record of an input stream. */
const MAX_CALL_BYTES = 1024 * 1024;

export type GateVerdict =
  | { readonly kind: 'pass'; readonly body: Readable; readonly callType: string; readonly timeoutMs: number | undefined }
  | { readonly kind: 'refuse'; readonly code: GatewayAnswerCode; readonly description: string };

/** Whether an upstream path on an agent is its v1 API (libprocess serves `api/v1` and anything under it). */
export function isAgentApiPath(upstreamPath: string): boolean {
  return /^\/(slave\(1\)\/)?api\/v1(\/|$)/.test(upstreamPath);
}

export interface GateInputs {
  readonly request: IncomingMessage;
  readonly body: Readable;
  readonly caller: Caller;
  readonly groups: readonly string[];
  readonly allow: AllowRule;
  readonly agentPath: string;
  readonly logger: Logger;
}

export async function gateAgentCall(inputs: GateInputs): Promise<GateVerdict> {
  const { request, body } = inputs;
  const contentType = mediaTypeOf(request.headers['content-type']);
  const streaming = contentType === RECORDIO;
  const messageType = streaming ? mediaTypeOf(request.headers['message-content-type']) : contentType;
  if (!isAgentMedia(messageType)) {
    const what = streaming ? `'Message-Content-Type' ${JSON.stringify(messageType)}` : `'Content-Type' ${JSON.stringify(contentType)}`;
    return refuse('ERR_GATEWAY_AGENT_CALL_MEDIA', `agent API: ${what} is not ${AGENT_MEDIA_TYPES.join(' or ')} (nor ${RECORDIO} of those)`);
  }
  const head = await readCall(body, streaming);
  if ('error' in head) return head.error;
  let call: Record<string, unknown>;
  try {
    call = decodeAgentMessage(head.message, messageType, agentTypes().call);
  } catch (error) {
    if (error instanceof AgentCallDecodeError) return refuse('ERR_GATEWAY_AGENT_CALL_INVALID', `agent API: ${error.message}`);
    throw error;
  }
  const type = call['type'];
  // A type number the enum does not name decodes as no type (proto2, as in Mesos's own decoder): refused here.
  if (typeof type !== 'string')
    return refuse('ERR_GATEWAY_AGENT_CALL_INVALID', "agent API: Failed to validate agent::Call: Expecting 'type' to be present (and known)");
  const callType = type;
  if (EXEC_CALL_TYPES.has(callType)) {
    const allowed = decide({ uid: inputs.caller.uid, groups: inputs.groups }, inputs.allow);
    if (!allowed.allowed) {
      inputs.logger.warn({ uid: inputs.caller.uid, agent: inputs.agentPath, call: callType }, 'exec refused by gateway.exec.allow');
      return refuse('ERR_GATEWAY_FORBIDDEN', `gateway.exec.allow: ${callType} runs commands in tasks; ${allowed.reason}`);
    }
    inputs.logger.info({ uid: inputs.caller.uid, agent: inputs.agentPath, call: callType, ...launched(call) }, 'exec call allowed');
  }
  return {
    kind: 'pass',
    body: Readable.from(replay(head.bytes, head.rest), { objectMode: false }),
    callType,
    // A session streams as long as its command runs, and an input stream is answered when it ends.
    timeoutMs: LONG_CALL_TYPES.has(callType) ? 0 : undefined,
  };
}

type Head = { readonly bytes: Buffer; readonly message: Buffer; readonly rest: AsyncIterator<Buffer> | null } | { readonly error: GateVerdict };

/** The whole call, or a stream's first record; what was read is kept to be forwarded as it came. */
async function readCall(body: Readable, streaming: boolean): Promise<Head> {
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = streaming ? new RecordIoReader(MAX_CALL_BYTES) : null;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.length;
    if (reader) {
      let records: Buffer[];
      try {
        records = reader.push(next.value);
      } catch (error) {
        return { error: refuse('ERR_GATEWAY_AGENT_CALL_INVALID', `agent API: ${(error as Error).message}`) };
      }
      // Stop reading here: the rest of the stream (the command's input) is forwarded as it comes.
      if (records.length > 0) return { bytes: Buffer.concat(chunks), message: records[0]!, rest: iterator };
    } else if (size > MAX_CALL_BYTES) {
      return { error: refuse('ERR_GATEWAY_BODY_TOO_LARGE', `agent API: a call is at most ${MAX_CALL_BYTES} bytes`) };
    }
  }
  if (reader) return { error: refuse('ERR_GATEWAY_AGENT_CALL_INVALID', 'agent API: the RecordIO stream ended before its first record was complete') };
  const bytes = Buffer.concat(chunks);
  return { bytes, message: bytes, rest: null };
}

/** What was read, then the rest of the same stream through the same iterator, chunk by chunk as it comes. */
async function* replay(head: Buffer, rest: AsyncIterator<Buffer> | null): AsyncGenerator<Buffer> {
  yield head;
  if (!rest) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** For the log: which container a launch runs under (the task's) and what it runs. */
function launched(call: Record<string, unknown>): Record<string, unknown> {
  const launch = (call['launch_nested_container_session'] ?? call['launch_nested_container'] ?? call['launch_container']) as
    | { container_id?: { parent?: { value?: string } }; command?: { value?: string; arguments?: string[] } }
    | undefined;
  if (!launch) return {};
  return { parentContainer: launch.container_id?.parent?.value, command: launch.command?.arguments ?? launch.command?.value };
}

function refuse(code: GatewayAnswerCode, description: string): GateVerdict {
  return { kind: 'refuse', code, description };
}

function isAgentMedia(type: string): type is AgentMediaType {
  return (AGENT_MEDIA_TYPES as readonly string[]).includes(type);
}
