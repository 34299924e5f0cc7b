// A GET to a Mesos agent's HTTP API (its `/state`, `/monitor/statistics`, `/files/read`…) on node:http,
// through the cluster area's client. Not Node's global fetch: on Node 20 its first call loads Node's
// internal undici and compiles llhttp's WebAssembly, about 0.3 CPU-s and 35 MB in the gateway worker
// that serves the first metrics or task-log request (bench/README.md, "Start-up").
import { describeNetworkError, httpCall } from '../cluster/index.js';

export interface AgentAnswer {
  readonly status: number;
  /** The whole body as text (UTF-8). */
  text(): Promise<string>;
  /** Drops the body (an answer that is not wanted). */
  discard(): void;
}

/** The agent's answer to `url`; throws an Error whose message says briefly why there is none (refused, timed out). */
export async function agentGet(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<AgentAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const answer = await httpCall(url.href, { signal: both });
    return {
      status: answer.status,
      discard: () => answer.discard(),
      async text() {
        const chunks: Buffer[] = [];
        for await (const chunk of answer.body) chunks.push(chunk);
        return Buffer.concat(chunks).toString('utf8');
      },
    };
  } catch (error) {
    if (timeout.aborted) throw new Error(`no answer within ${timeoutMs} ms`, { cause: error });
    if (signal?.aborted) throw error;
    throw new Error(describeNetworkError(error), { cause: error });
  }
}
