// A GET of JSON from a Mesos agent's HTTP API (its `/state`, `/monitor/statistics`, `/files/read`…) on
// node:http, through the cluster area's client. Not Node's global fetch: on Node 20 its first call loads
// Node's internal undici and compiles llhttp's WebAssembly, about 0.3 CPU-s and 35 MB in the gateway
// worker that serves the first metrics or task-log request (bench/README.md, "Start-up"). The metrics
// and the log services share it and wrap its failure in their own error.
import { describeNetworkError, httpCall } from '../cluster/index.js';

/** An agent's answer is read whole: past this it is refused, not held (an agent's /state of a big node is a few MB). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** How much of an error answer's body a failure quotes. */
const QUOTED_CHARACTERS = 200;

/** No usable answer; the message names the agent, the path and why. */
export class AgentRequestFailed extends Error {}

export interface AgentJsonOptions {
  readonly timeoutMs: number;
  /** The client left: the call is abandoned, and the abort error is thrown as it is. */
  readonly signal?: AbortSignal | undefined;
  /** 404 is an answer (null), not a failure: an agent without that endpoint, a file that is gone. */
  readonly optional?: boolean;
  /** Default MAX_ANSWER_BYTES. */
  readonly maxBytes?: number;
}

/** The agent's JSON at `url`; null on 404 when `optional`. Throws AgentRequestFailed, or the abort error of `signal`. */
export async function agentJson(url: URL, options: AgentJsonOptions): Promise<unknown> {
  const { timeoutMs, signal } = options;
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  const agent = `agent ${url.host}`;
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  // A client that left gets its own abort error back; anything else names the agent, the path and why.
  const failure = (how: string, error: unknown): unknown =>
    signal?.aborted
      ? error
      : new AgentRequestFailed(`${agent} ${how} ${url.pathname}: ${timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error)}`, {
          cause: error,
        });
  let answer;
  try {
    answer = await httpCall(url.href, { signal: both });
  } catch (error) {
    throw failure('did not answer', error);
  }
  if (answer.status === 404 && options.optional) {
    answer.discard();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer.body) {
      size += chunk.length;
      if (size > maxBytes) break;
      chunks.push(chunk);
    }
  } catch (error) {
    throw failure('did not finish answering', error);
  }
  if (size > maxBytes) {
    answer.discard();
    throw new AgentRequestFailed(`${agent} answered ${url.pathname} with more than ${maxBytes} bytes`);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (answer.status !== 200) {
    throw new AgentRequestFailed(`${agent} answered ${url.pathname} with ${answer.status}: ${text.slice(0, QUOTED_CHARACTERS).trim()}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentRequestFailed(`${agent} answered ${url.pathname} with a body that is not JSON`);
  }
}
