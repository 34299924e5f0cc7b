// The one GET of JSON the gateway's metrics and log services make to Mesos agents: every way an agent
// can fail names the agent, the path and why; a client that leaves gets its own abort back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRequestFailed, agentJson } from '../../gateway/agent-http.js';
import { refusedPorts } from '../support/refused-port.js';

let agent: Server;
let origin: string;

beforeAll(async () => {
  agent = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://a').pathname;
    if (path === '/state') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"S0"}');
    if (path === '/not-json') return void res.writeHead(200).end('<html>oops</html>');
    if (path === '/failing') return void res.writeHead(500).end(`  ${'busy '.repeat(100)}`);
    if (path === '/big') return void res.writeHead(200).end(`[${'1,'.repeat(5000)}1]`);
    if (path === '/hang') return; // never answers
    res.writeHead(404).end('no such endpoint');
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
});

afterAll(async () => {
  agent.closeAllConnections();
  await new Promise((resolve) => agent.close(resolve));
});

const at = (path: string): URL => new URL(path, origin);

describe('agentJson', () => {
  it('an answer: its JSON', async () => {
    expect(await agentJson(at('/state'), { timeoutMs: 5000 })).toEqual({ id: 'S0' });
  });

  it('404 when optional: null', async () => {
    expect(await agentJson(at('/metrics/snapshot'), { timeoutMs: 5000, optional: true })).toBeNull();
  });

  it.each([
    { name: '404 when not optional', path: '/metrics/snapshot', says: /answered \/metrics\/snapshot with 404: no such endpoint$/ },
    { name: 'an error status, its body quoted (200 characters at most)', path: '/failing', says: /answered \/failing with 500: busy busy .{150,}$/ },
    { name: 'a body that is not JSON', path: '/not-json', says: /answered \/not-json with a body that is not JSON$/ },
    { name: 'a body over the size limit', path: '/big', maxBytes: 1000, says: /answered \/big with more than 1000 bytes$/ },
    { name: 'no answer within the timeout', path: '/hang', timeoutMs: 200, says: /did not answer \/hang: no answer within 200 ms$/ },
  ])('$name: AgentRequestFailed naming the agent and the path', async ({ path, says, maxBytes, timeoutMs }) => {
    const failure = await agentJson(at(path), { timeoutMs: timeoutMs ?? 5000, ...(maxBytes ? { maxBytes } : {}) }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AgentRequestFailed);
    expect((failure as Error).message).toMatch(new RegExp(`^agent 127\\.0\\.0\\.1:\\d+ ${says.source}`));
    expect((failure as Error).message.length).toBeLessThan(320);
  });

  it('an agent that refuses the connection: AgentRequestFailed with the network reason', async () => {
    const [port] = await refusedPorts(1);
    const failure = await agentJson(new URL(`http://127.0.0.1:${port}/state`), { timeoutMs: 5000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AgentRequestFailed);
    // Refused, as the socket reports it: ECONNREFUSED, or (seen once in a CI run on Node 24, under load)
    // EPIPE from the request's write racing the refusal.
    expect((failure as Error).message).toMatch(/^agent 127\.0\.0\.1:\d+ did not answer \/state: (ECONNREFUSED|EPIPE)$/);
  });

  it('the client leaving: its own abort error, not an agent failure', async () => {
    const left = new AbortController();
    const asking = agentJson(at('/hang'), { timeoutMs: 5000, signal: left.signal }).catch((error: unknown) => error);
    setTimeout(() => left.abort(new Error('client gone')), 50);
    const failure = await asking;
    expect(failure).not.toBeInstanceOf(AgentRequestFailed);
  });
});
