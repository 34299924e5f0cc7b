// The agent calls behind `dcos task exec`, answered as a Mesos agent answers them:
//   LAUNCH_NESTED_CONTAINER_SESSION  starts the command under the task's container and streams its
//                                    output as RecordIO `ProcessIO` records (DATA STDOUT/STDERR, a
//                                    CONTROL HEARTBEAT every 30 s) until it exits; the connection
//                                    closing first kills it (its life is the connection's).
//   ATTACH_CONTAINER_INPUT           a RecordIO stream of calls: the container id first, then DATA
//                                    STDIN (empty = end of input), CONTROL TTY_INFO (window size) and
//                                    HEARTBEAT; answered 200 without a body when the input ends.
//   WAIT_CONTAINER / WAIT_NESTED_CONTAINER  the wait(2) status once the command has exited.
//   KILL_CONTAINER / KILL_NESTED_CONTAINER  SIGKILL to the command.
// The agent's port has no authentication of its own (the gateway checks callers), so these calls are
// taken from this machine only, as Marathon's changes are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { agentTypes, decodeAgentMessage, encodeAgentMessage, recordIo, RECORDIO, type AgentMediaType, type AgentMessage } from '../../agent-call.js';
import { RecordIoReader } from '../../recordio.js';
import type { LocalAgent } from '../agent/agent.js';
import type { ExecCommand, ExecSession, WindowSize } from '../agent/exec-session.js';
import { NestedContainerError } from '../agent/nested-containers.js';
import { AgentCallError, type ContainerIdJson } from './agent-calls.js';
import { isThisMachine } from './marathon-http.js';

export const HEARTBEAT_MS = 30_000;
/** One input record (a chunk of stdin) is a few hundred bytes; this bounds what one may hold. */
const MAX_INPUT_RECORD = 1024 * 1024;

export interface ExecContext {
  readonly agent: LocalAgent;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly heartbeatMs?: number;
}

type Section = Record<string, unknown>;

export function fromThisMachineOnly(request: IncomingMessage, type: string): void {
  if (!isThisMachine(request.socket.remoteAddress))
    throw new AgentCallError(403, `${type} is taken from this machine only (through the gateway, which checks the caller)`);
}

/** LAUNCH_NESTED_CONTAINER_SESSION: the command's output as a RecordIO stream of ProcessIO. */
export async function launchSession(ctx: ExecContext, call: AgentMessage, messageType: AgentMediaType): Promise<void> {
  const launch = section(call, 'launch_nested_container_session');
  const { id, parent } = nestedId(launch['container_id'], 'launch_nested_container_session.container_id');
  const session = await guarded(() => ctx.agent.nested.launch(id, parent, execCommand(launch)));
  const { response } = ctx;
  response.writeHead(200, { 'content-type': RECORDIO, 'message-content-type': messageType });
  // Now, not with the first output: the CLI attaches the input only once it has the answer's head.
  response.flushHeaders();
  const types = agentTypes();
  const send = (message: AgentMessage): boolean => response.write(recordIo(encodeAgentMessage(types.processIo, message, messageType)));
  const outputs = [session.stdout, session.stderr];
  // Backpressure: a client that reads slowly pauses the command's output, not our memory.
  const forward = (stream: 'STDOUT' | 'STDERR', chunk: Buffer): void => {
    if (send({ type: 'DATA', data: { type: stream, data: chunk } })) return;
    for (const output of outputs) output.pause();
    response.once('drain', () => outputs.forEach((output) => output.resume()));
  };
  session.stdout.on('data', (chunk: Buffer) => forward('STDOUT', chunk));
  session.stderr.on('data', (chunk: Buffer) => forward('STDERR', chunk));
  const interval = ctx.heartbeatMs ?? HEARTBEAT_MS;
  const beat = { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: interval * 1e6 } } } };
  const heartbeat = setInterval(() => send(beat), interval);
  heartbeat.unref();
  response.once('close', () => {
    clearInterval(heartbeat);
    // The session's connection went before the command ended: the command goes too (Mesos's rule).
    if (session.status === null) void session.kill();
  });
  await session.exited;
  clearInterval(heartbeat);
  response.end();
}

/** ATTACH_CONTAINER_INPUT: records of calls, the first naming the container, the rest its input. */
export async function attachInput(ctx: ExecContext, messageType: AgentMediaType): Promise<void> {
  const { request, response } = ctx;
  const types = agentTypes();
  const reader = new RecordIoReader(MAX_INPUT_RECORD);
  let session: ExecSession | null = null;
  const fail = (error: unknown): void => {
    request.removeAllListeners('data');
    request.resume();
    if (session) session.endInput();
    const status = error instanceof AgentCallError || error instanceof NestedContainerError ? error.status : 400;
    answer(response, status, error instanceof Error ? error.message : String(error));
  };
  const take = (record: Buffer): void => {
    const call = decodeAgentMessage(record, messageType, types.call);
    if (call['type'] !== 'ATTACH_CONTAINER_INPUT')
      throw new AgentCallError(400, `Expecting every record of the stream to be an ATTACH_CONTAINER_INPUT call, got ${String(call['type'] ?? 'none')}`);
    const attach = section(call, 'attach_container_input');
    if (!session) {
      if (attach['type'] !== 'CONTAINER_ID') throw new AgentCallError(400, "Expecting the first record's 'attach_container_input.type' to be CONTAINER_ID");
      const { id, parent } = nestedId(attach['container_id'], 'attach_container_input.container_id');
      const found = guardedSync(() => ctx.agent.nested.running(id, parent));
      if (found.inputAttached) throw new AgentCallError(409, `Container ${found.parentId}.${id} already has an input stream attached`);
      found.inputAttached = true;
      session = found;
      void found.exited.then(() => answer(response, 200, null));
      return;
    }
    if (attach['type'] !== 'PROCESS_IO') throw new AgentCallError(400, "Expecting 'attach_container_input.type' to be PROCESS_IO after the first record");
    applyInput(session, section(attach, 'process_io'), request);
  };
  request.on('data', (chunk: Buffer) => {
    try {
      for (const record of reader.push(chunk)) take(record);
    } catch (error) {
      fail(error);
    }
  });
  // However the input ends (EOF record, end of the stream, a broken connection), the command sees EOF.
  request.once('end', () => {
    session?.endInput();
    if (!session) fail(new AgentCallError(400, 'the input stream ended before a record named the container'));
    else answer(response, 200, null);
  });
  request.once('close', () => session?.endInput());
}

function applyInput(session: ExecSession, io: Section, request: IncomingMessage): void {
  if (io['type'] === 'DATA') {
    const data = (io['data'] ?? {}) as Section;
    if (data['type'] !== 'STDIN') throw new AgentCallError(400, `Expecting input data of type STDIN, got ${String(data['type'] ?? 'none')}`);
    const bytes = Buffer.isBuffer(data['data']) ? data['data'] : Buffer.alloc(0);
    if (bytes.length === 0) return session.endInput();
    if (!session.write(bytes)) {
      request.pause();
      session.onDrain(() => request.resume());
    }
    return;
  }
  if (io['type'] === 'CONTROL') {
    const control = (io['control'] ?? {}) as Section;
    if (control['type'] === 'TTY_INFO') {
      const size = ((control['tty_info'] ?? {}) as Section)['window_size'] as WindowSize | undefined;
      if (size) session.resize(size);
    }
    return; // HEARTBEAT: the connection is alive; nothing to do
  }
  throw new AgentCallError(400, `Expecting 'process_io.type' DATA or CONTROL, got ${String(io['type'] ?? 'none')}`);
}

/** WAIT_CONTAINER and WAIT_NESTED_CONTAINER: the wait(2) status, as soon as the command has exited. */
export async function waitContainer(ctx: ExecContext, call: AgentMessage): Promise<AgentMessage> {
  const type = call['type'] as 'WAIT_CONTAINER' | 'WAIT_NESTED_CONTAINER';
  const name = type === 'WAIT_CONTAINER' ? 'wait_container' : 'wait_nested_container';
  const { id, parent } = nestedId(section(call, name)['container_id'], `${name}.container_id`);
  const status = await guarded(() => ctx.agent.nested.wait(id, parent));
  return { type, [name]: { exit_status: status } };
}

/** KILL_CONTAINER and KILL_NESTED_CONTAINER: SIGKILL (the only signal Mesos's nested kill sends by default). */
export async function killContainer(ctx: ExecContext, call: AgentMessage): Promise<void> {
  const name = call['type'] === 'KILL_CONTAINER' ? 'kill_container' : 'kill_nested_container';
  const { id, parent } = nestedId(section(call, name)['container_id'], `${name}.container_id`);
  await guardedSync(() => ctx.agent.nested.running(id, parent)).kill();
}

function execCommand(launch: Section): ExecCommand {
  const command = section(launch, 'command', 'launch_nested_container_session.');
  const value = command['value'];
  const args = Array.isArray(command['arguments']) ? (command['arguments'] as unknown[]).map(String) : [];
  const shell = command['shell'] !== false;
  if (typeof value !== 'string' || value === '') throw new AgentCallError(400, "Failed to validate agent::Call: Expecting 'command.value' to be present");
  const env: Record<string, string> = {};
  const variables = ((command['environment'] ?? {}) as Section)['variables'];
  for (const variable of Array.isArray(variables) ? (variables as Section[]) : []) {
    if (variable['type'] === 'SECRET') throw new AgentCallError(400, `environment variable ${String(variable['name'])}: secrets are not supported`);
    env[String(variable['name'])] = String(variable['value'] ?? '');
  }
  const container = launch['container'] as Section | undefined;
  const ttyInfo = container?.['tty_info'] as Section | undefined;
  const size = ttyInfo?.['window_size'] as WindowSize | undefined;
  return {
    shell: shell ? value : null,
    // Mesos execs `value` with `arguments` as its argv (arguments[0] being the name it is called by).
    argv: [value, ...args.slice(1)],
    env,
    tty: ttyInfo === undefined ? null : (size ?? true),
  };
}

/** A nested container's id: its value, and its parent's (the task's container) — required here. */
function nestedId(raw: unknown, field: string): { id: string; parent: string } {
  const id = raw as ContainerIdJson | undefined;
  if (!id || typeof id.value !== 'string') throw new AgentCallError(400, `Failed to validate agent::Call: Expecting '${field}' to be present`);
  if (!id.parent || typeof id.parent.value !== 'string')
    throw new AgentCallError(400, `'${field}' must name its parent (the task's container): this agent runs nested containers only`);
  return { id: id.value, parent: id.parent.value };
}

function section(call: Section, name: string, prefix = ''): Section {
  const value = call[name];
  if (typeof value !== 'object' || value === null) throw new AgentCallError(400, `Failed to validate agent::Call: Expecting '${prefix}${name}' to be present`);
  return value as Section;
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NestedContainerError) throw new AgentCallError(error.status, error.message);
    throw error;
  }
}

function guardedSync<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof NestedContainerError) throw new AgentCallError(error.status, error.message);
    throw error;
  }
}

/** The input stream's answer: 200 without a body (mesos-go wants no Content-Type), or a reason. */
function answer(response: ServerResponse, status: number, reason: string | null): void {
  if (response.headersSent) return;
  if (reason === null) {
    response.writeHead(status, { 'content-length': 0 });
    return void response.end();
  }
  const body = `${reason}\n`;
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}
