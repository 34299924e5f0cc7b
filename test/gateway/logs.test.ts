// The gateway's log service (dcos-log's v2 API) on real sockets, against a stand-in Mesos agent: a
// local HTTP server answering `/state` and `/files/read` in Mesos's formats from a real file, so the
// file can be written, rotated and grown while a client follows it, and every read the service
// makes is counted. Component logs come from a LogRing fed logger JSON lines.
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot, type SnapshotView } from '../../cluster/index.js';
import { answerLogs } from '../../gateway/logs/logs-endpoint.js';
import { LogRing } from '../../gateway/logs/log-ring.js';
import { fetchCallsDuring } from '../support/fetch-calls.js';
import { masterState } from '../support/master-state.js';

const FW = 'fw-0000';
const AGENT = 'agent-S0';
const TASK = 'web.1';
const CONTAINER = 'c0ffee00-1111-2222-3333-444455556666';
let dir: string;
let sandboxFile: string;
let agent: Server;
let agentPort: number;
let gateway: Server;
let gatewayPort: number;
let snapshot: Snapshot;
let taskState = 'TASK_RUNNING';
/** Bytes the stand-in agent has sent as `/files/read` data, and how many reads. */
const served = { bytes: 0, reads: 0 };
const ring = new LogRing(50);

const view: SnapshotView = {
  get current() {
    return { ...snapshot, frameworks: snapshot.frameworks.map((f) => ({ ...f, tasks: f.tasks.map((t) => ({ ...t, state: taskState })) })) } as Snapshot;
  },
  status: () => ({ state: 'fresh', ageMs: 0, generation: 1, lastError: null, source: snapshot.source }),
  subscribe: () => () => undefined,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-logs-'));
  const runDir = join(dir, 'slaves', AGENT, 'frameworks', FW, 'executors', TASK, 'runs', CONTAINER);
  sandboxFile = join(runDir, 'stdout');
  // The stand-in agent: Mesos's agent /state and /files/read (64 KiB at most per read, as Mesos).
  agent = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname === '/state') {
      res.setHeader('content-type', 'application/json');
      return res.end(
        JSON.stringify({
          id: AGENT,
          flags: { work_dir: dir },
          frameworks: [
            {
              id: FW,
              executors: [{ id: TASK, container: CONTAINER, directory: runDir, tasks: [{ id: TASK }], completed_tasks: [] }],
              completed_executors: [],
            },
          ],
        }),
      );
    }
    if (url.pathname === '/files/read') {
      const path = url.searchParams.get('path') ?? '';
      if (!path.startsWith(`${runDir}/`)) return res.writeHead(404).end();
      void open(join(runDir, path.slice(runDir.length + 1)), 'r').then(async (file) => {
        try {
          const size = (await file.stat()).size;
          const offset = Number(url.searchParams.get('offset'));
          if (offset === -1) return res.end(JSON.stringify({ data: '', offset: size }));
          const length = Math.min(65536, Number(url.searchParams.get('length')), Math.max(0, size - offset));
          const buffer = Buffer.alloc(Math.max(0, length));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
          served.bytes += bytesRead;
          served.reads++;
          res.end(JSON.stringify({ data: buffer.subarray(0, bytesRead).toString('utf8'), offset }));
        } finally {
          await file.close();
        }
      }, () => res.writeHead(404).end());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  agentPort = (agent.address() as AddressInfo).port;
  const doc = masterState({
    leader: 'master@127.0.0.1:5050',
    agents: [{ id: AGENT, host: '127.0.0.1', port: agentPort }],
    frameworks: [{ id: FW, name: 'marathon', tasks: [{ id: TASK, name: 'web', agent: AGENT }] }],
  });
  snapshot = {
    ...(await parseMasterState(doc, {
      source: { kind: 'mesos', origin: 'logs test' },
      fetchedAt: Date.now(),
      resolveHost: async () => ['127.0.0.1'],
    })),
    generation: 1,
  };
  gateway = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    void answerLogs({ store: view, componentLogs: ring, pollMs: 20, rotationCheckMs: 50 }, req, res, url.pathname, url.search);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayPort = (gateway.address() as AddressInfo).port;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(runDir, { recursive: true });
});

afterAll(async () => {
  gateway?.closeAllConnections();
  agent?.closeAllConnections();
  await new Promise((resolve) => gateway?.close(resolve));
  await new Promise((resolve) => agent?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  taskState = 'TASK_RUNNING';
  await writeFile(sandboxFile, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
});

const get = async (
  path: string,
  accept = 'text/plain',
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; body: string }> => {
  const response = await fetch(`http://127.0.0.1:${gatewayPort}${path}`, { headers: { accept, ...headers } });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
};
const TASK_PATH = `/system/v1/logs/v2/task/${TASK}/file/stdout`;

describe('task logs: positions and formats', () => {
  it('asks the agent (/state, /files/read) over node:http, never through the global fetch (it loads Node\'s undici)', async () => {
    let answer: { status: number; body: string } | null = null;
    const calls = await fetchCallsDuring(async () => {
      answer = await get(`${TASK_PATH}?skip=-2`);
    });
    expect(answer).toMatchObject({ status: 200, body: 'line 29\nline 30\n' });
    expect(calls.filter((url) => url.startsWith(`http://127.0.0.1:${agentPort}`))).toEqual([]);
  });

  const cases: { name: string; query: string; lines: string[] }[] = [
    {
      name: "the CLI's default: the last 10 lines (cursor=END&skip=-10)",
      query: 'cursor=END&skip=-10',
      lines: Array.from({ length: 10 }, (_, i) => `line ${i + 21}`),
    },
    {
      name: 'skip back further than the file: all of it',
      query: 'cursor=END&skip=-100',
      lines: Array.from({ length: 30 }, (_, i) => `line ${i + 1}`),
    },
    { name: 'no cursor, skip back: from the end', query: 'skip=-2', lines: ['line 29', 'line 30'] },
    { name: 'from the beginning with a limit', query: 'cursor=BEG&limit=3', lines: ['line 1', 'line 2', 'line 3'] },
    { name: 'skip forward then limit', query: 'skip=5&limit=2', lines: ['line 6', 'line 7'] },
    {
      name: 'a byte offset as the cursor (the start of line 30)',
      query: `cursor=${Buffer.byteLength(Array.from({ length: 29 }, (_, i) => `line ${i + 1}\n`).join(''))}`,
      lines: ['line 30'],
    },
    { name: 'cursor=END alone: nothing', query: 'cursor=END', lines: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const answer = await get(`${TASK_PATH}?${c.query}`);
      expect(answer.status).toBe(200);
      expect(answer.type).toBe('text/plain; charset=utf-8');
      expect(answer.body).toBe(c.lines.map((l) => `${l}\n`).join(''));
    });
  }

  it('the agent-scoped path and the run path (dcos-log\'s redirect target) read the same file', async () => {
    const byAgent = await get(`/system/v1/agent/${AGENT}/logs/v2/task/${TASK}/file/stdout?cursor=END&skip=-1`);
    const byRun = await get(`/system/v1/agent/${AGENT}/logs/v2/task/frameworks/${FW}/executors/${TASK}/runs/${CONTAINER}/stdout?cursor=END&skip=-1`);
    expect([byAgent.body, byRun.body]).toEqual(['line 30\n', 'line 30\n']);
  });

  it('application/json: one entry per line with the fields dcos-log gives and the next offset as cursor', async () => {
    const answer = await get(`${TASK_PATH}?cursor=END&skip=-2`, 'application/json');
    const entries = answer.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e) => e.fields.MESSAGE)).toEqual(['line 29', 'line 30']);
    expect(entries[1].fields).toMatchObject({ AGENT_ID: AGENT, FRAMEWORK_ID: FW, EXECUTOR_ID: TASK, CONTAINER_ID: CONTAINER, FILE: 'stdout' });
    expect(Number(entries[1].cursor)).toBe(Buffer.byteLength(Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join('')));
  });

  it('a line longer than a read chunk comes whole from several reads (non-follow), in bounded pieces', async () => {
    await writeFile(sandboxFile, `short\n${'x'.repeat(100_000)}\nend\n`);
    const lines = (await get(`${TASK_PATH}?cursor=BEG`)).body.split('\n');
    expect(lines[0]).toBe('short');
    expect(lines.slice(1, -2).join('')).toBe('x'.repeat(100_000));
    expect(lines.at(-2)).toBe('end');
  });
});

/** Opens an SSE follow and collects `data:` entries' MESSAGE as they arrive. */
function follow(path: string, headers: Record<string, string> = {}): { messages: string[]; ids: string[]; ended: Promise<void>; close: () => void } {
  const messages: string[] = [];
  const ids: string[] = [];
  let buffer = '';
  let closeRequest: () => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gatewayPort, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1];
          const id = /^id: (.*)$/m.exec(event)?.[1];
          if (data) messages.push(JSON.parse(data).fields.MESSAGE);
          if (id) ids.push(id);
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', reject);
    req.end();
    closeRequest = () => req.destroy();
  });
  return { messages, ids, ended, close: closeRequest };
}

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('task logs: following (text/event-stream)', () => {
  it('the last lines, then a line written afterwards, each with its id', async () => {
    const stream = follow(`${TASK_PATH}?cursor=END&skip=-1`);
    await waitFor(() => stream.messages.length === 1);
    await appendFile(sandboxFile, 'written later\n');
    await waitFor(() => stream.messages.length === 2);
    expect(stream.messages).toEqual(['line 30', 'written later']);
    stream.close();
  });

  it('a reconnect with Last-Event-ID resumes exactly after the last line seen', async () => {
    const first = follow(`${TASK_PATH}?cursor=END&skip=-2`);
    await waitFor(() => first.messages.length === 2);
    first.close();
    await appendFile(sandboxFile, 'after the reconnect\n');
    const again = follow(TASK_PATH, { 'last-event-id': first.ids.at(-1)! });
    await waitFor(() => again.messages.length === 1);
    expect(again.messages).toEqual(['after the reconnect']);
    again.close();
  });

  it('a rotated (truncated) file ends the stream cleanly', async () => {
    const stream = follow(`${TASK_PATH}?cursor=END&skip=-1`);
    await waitFor(() => stream.messages.length === 1);
    await truncate(sandboxFile, 0);
    await stream.ended;
    expect(stream.messages).toEqual(['line 30']);
  });

  it('a task that ends: what it wrote last is sent, then the stream ends', async () => {
    const stream = follow(`${TASK_PATH}?cursor=END&skip=-1`);
    await waitFor(() => stream.messages.length === 1);
    await appendFile(sandboxFile, 'last words');
    taskState = 'TASK_FINISHED';
    await stream.ended;
    expect(stream.messages).toEqual(['line 30', 'last words']);
  });

  it('a follower that never reads: the service stops reading the file (memory stays bounded)', async () => {
    // 32 MiB of lines; a client that reads nothing must not make the service read (and hold) them.
    const line = `${'y'.repeat(1023)}\n`;
    const handle = await open(sandboxFile, 'w');
    for (let i = 0; i < 32; i++) await handle.write(line.repeat(1024));
    await handle.close();
    const before = served.bytes;
    const socket = connect(gatewayPort, '127.0.0.1');
    socket.pause(); // never reads a byte
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET ${TASK_PATH}?cursor=BEG HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    // Reading stops once the socket buffers are full: wait until no read has come for half a second
    // (without backpressure that happens only once the whole file has been read).
    let last = -1;
    let quietSince = Date.now();
    await waitFor(() => {
      if (served.bytes !== last) {
        last = served.bytes;
        quietSince = Date.now();
      }
      return served.bytes > before && Date.now() - quietSince > 500;
    }, 30_000);
    const read = served.bytes - before;
    socket.destroy();
    if (process.env['TEST_LOG']) console.log(`a never-reading follower made the service read ${read} bytes of a ${32 * 1024 * 1024}-byte file`);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('task logs: bad requests', () => {
  const cases: { name: string; path: string; status: number; reason: RegExp }[] = [
    { name: 'an unknown task', path: '/system/v1/logs/v2/task/nobody.1/file/stdout', status: 404, reason: /task nobody\.1 not found/ },
    {
      name: 'a task on another agent',
      path: `/system/v1/agent/other-S9/logs/v2/task/${TASK}/file/stdout`,
      status: 404,
      reason: /not found on agent other-S9/,
    },
    {
      name: 'a file that is not there',
      path: `/system/v1/logs/v2/task/${TASK}/file/nothing`,
      status: 404,
      reason: /file nothing not found/,
    },
    { name: 'a cursor that is no position', path: `${TASK_PATH}?cursor=middle`, status: 400, reason: /cursor parameter/ },
    { name: 'a skip that is no number', path: `${TASK_PATH}?skip=ten`, status: 400, reason: /skip parameter/ },
    { name: 'a negative limit', path: `${TASK_PATH}?limit=-1`, status: 400, reason: /limit parameter/ },
    {
      name: 'an unknown agent in a run path',
      path: `/system/v1/agent/ghost/logs/v2/task/frameworks/${FW}/executors/${TASK}/runs/${CONTAINER}/stdout`,
      status: 404,
      reason: /agent ghost unknown/,
    },
    {
      name: 'a run path with a container that does not exist',
      path: `/system/v1/agent/${AGENT}/logs/v2/task/frameworks/${FW}/executors/${TASK}/runs/nope/stdout`,
      status: 404,
      reason: /not found in the sandbox/,
    },
    { name: 'no log at all', path: '/system/v1/logs/v2/something', status: 404, reason: /is not a log/ },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status}`, async () => {
      const answer = await get(c.path);
      expect(answer.status).toBe(c.status);
      expect(JSON.parse(answer.body).description).toMatch(c.reason);
    });
  }
});

describe('component logs', () => {
  beforeAll(() => {
    for (let i = 1; i <= 60; i++)
      ring.add(
        JSON.stringify({
          level: i % 10 === 0 ? 50 : 30,
          time: 1_700_000_000_000 + i,
          pid: 42,
          hostname: 'h',
          name: 'gatehouse',
          msg: `event ${i}`,
          ...(i % 3 === 0 ? { part: 'cluster', agent: 0 } : {}),
        }),
      );
  });
  const COMPONENT = '/system/v1/leader/mesos/logs/v2/component';

  it('the ring keeps only the newest lines', async () => {
    const entries = (await get(`${COMPONENT}?cursor=BEG`, 'application/json')).body.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries).toHaveLength(50);
    expect(entries[0].fields.MESSAGE).toBe('event 11');
  });

  it('`dcos node log --leader`: the last 10 entries in journald JSON, newest last', async () => {
    const answer = await get(`${COMPONENT}?skip=-10`, 'application/json');
    expect(answer.type).toBe('application/json');
    const entries = answer.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e) => e.fields.MESSAGE)).toEqual(Array.from({ length: 10 }, (_, i) => expect.stringMatching(new RegExp(`^event ${i + 51}\\b`))));
    expect(entries[8]).toMatchObject({
      fields: { PRIORITY: '6', SYSLOG_IDENTIFIER: 'gatehouse', _PID: '42', _HOSTNAME: 'h', _SYSTEMD_UNIT: 'gatehouse.service' },
      realtime_timestamp: (1_700_000_000_000 + 59) * 1000,
    });
    expect(entries.find((e) => e.fields.MESSAGE.startsWith('event 60'))!.fields.PRIORITY).toBe('3');
    expect(typeof entries[0].cursor).toBe('string');
  });

  it('a unit: the embedded agent\'s lines only; `gatehouse` is every line', async () => {
    const agentLines = (await get(`${COMPONENT}/dcos-mesos-slave.service?skip=-3`, 'application/json')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).fields);
    expect(agentLines.map((f) => f.MESSAGE.split(' {')[0])).toEqual(['event 54', 'event 57', 'event 60']);
    expect(agentLines[0].UNIT).toBe('dcos-mesos-slave.service');
    expect((await get(`${COMPONENT}/gatehouse?skip=-2`, 'application/json')).body.trim().split('\n')).toHaveLength(2);
  });

  it('text/plain: journalctl\'s short lines', async () => {
    const answer = await get(`${COMPONENT}?skip=-1`);
    expect(answer.body).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} h gatehouse\[42\]: event 60 /);
  });

  it('filters, limits and cursors', async () => {
    const filtered = (await get(`${COMPONENT}?cursor=BEG&filter=PRIORITY:3`, 'application/json')).body.trim().split('\n');
    expect(filtered).toHaveLength(5);
    const two = (await get(`${COMPONENT}?cursor=BEG&limit=2`, 'application/json')).body.trim().split('\n').map((l) => JSON.parse(l));
    const after = (await get(`${COMPONENT}?cursor=${two[1].cursor}&limit=1`, 'application/json')).body.trim().split('\n').map((l) => JSON.parse(l));
    expect(after[0].cursor).toBe(two[1].cursor);
    expect((await get(`${COMPONENT}?filter=PRIORITY`)).status).toBe(400);
    expect((await get(`${COMPONENT}?cursor=nonsense`)).status).toBe(400);
  });

  it('followed: a line logged after the request arrives', async () => {
    const messages: string[] = [];
    const req = request({ host: '127.0.0.1', port: gatewayPort, path: `${COMPONENT}?skip=-1`, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const m of chunk.matchAll(/^data: (.*)$/gm)) messages.push(JSON.parse(m[1]!).fields.MESSAGE);
      });
    });
    req.end();
    await waitFor(() => messages.length === 1);
    ring.add(JSON.stringify({ level: 30, time: Date.now(), msg: 'logged later' }));
    await waitFor(() => messages.length === 2);
    expect(messages[1]).toBe('logged later');
    req.destroy();
  });

  it('an agent that is not embedded has no component log here', async () => {
    const answer = await get(`/system/v1/agent/${AGENT}/logs/v2/component`);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).description).toMatch(/own process only/);
  });
});
