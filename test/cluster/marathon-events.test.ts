// Marathon's event stream as a real Marathon sends it: Jetty ends lines with CRLF; the SSE spec also
// allows CR and LF, comments, multi-line data and `retry:`. Each case streams from a local HTTP server
// and checks which event types reach the follower.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore, MesosSource } from '../../cluster/index.js';
import { MarathonEventFollower } from '../../cluster/marathon-events.js';
import { startFakeMaster, type FakeMaster } from '../support/fake-master.js';
import { HARBOR, fixtureJson } from '../support/fixtures.js';

interface EventServer {
  readonly url: string;
  connections: number;
  /** Called with each new stream's response; writes what the case wants. */
  onStream: (res: ServerResponse, connection: number) => void;
  close(): Promise<void>;
}

/** Marathon's event stream; with `apps`, also its `/v2/apps` (one server, as Marathon serves both). */
async function startEventServer(apps?: unknown): Promise<EventServer> {
  const open = new Set<ServerResponse>();
  const events: EventServer = { url: '', connections: 0, onStream: () => undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (apps !== undefined && req.url?.startsWith('/v2/apps')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(apps));
      return;
    }
    if (req.url !== '/v2/events') {
      res.writeHead(404).end();
      return;
    }
    events.connections++;
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    events.onStream(res, events.connections);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (events as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  events.close = async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return events;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function follow(events: EventServer, retryMs = 50): Promise<string[]> {
  const seen: string[] = [];
  const follower = new MarathonEventFollower({ url: events.url, logger: pino({ level: 'silent' }), retryMs, onEvent: (type) => seen.push(type) });
  follower.start();
  cleanups.push(() => follower.close());
  return seen;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const status = (id: string) => JSON.stringify({ eventType: 'status_update_event', taskId: id, taskStatus: 'TASK_RUNNING' });

describe('Marathon event stream: line endings and SSE fields', () => {
  const cases: { name: string; chunks: string[]; expected: string[] }[] = [
    {
      name: 'CRLF line endings, as Marathon (Jetty) sends them',
      chunks: [`event: status_update_event\r\ndata: ${status('a')}\r\n\r\n`, `event: deployment_success\r\ndata: {}\r\n\r\n`],
      expected: ['status_update_event', 'deployment_success'],
    },
    // A lone CR at a chunk's end may be half of a CRLF, so the blank line is known only at the next byte:
    // the keep-alive comment that follows in a live stream.
    { name: 'CR line endings', chunks: [`event: status_update_event\rdata: ${status('a')}\r\r`, `:\r`], expected: ['status_update_event'] },
    { name: 'LF line endings', chunks: [`event: status_update_event\ndata: ${status('a')}\n\n`], expected: ['status_update_event'] },
    {
      name: 'CRLF split between chunks, inside the blank line',
      chunks: [`event: app_terminated_event\r\ndata: {}\r`, `\n\r`, `\n`],
      expected: ['app_terminated_event'],
    },
    {
      name: 'comments (keep-alives) are not events',
      chunks: [`: ping\r\n\r\n`, `:\r\n\r\n`, `event: health_status_changed_event\r\ndata: {}\r\n\r\n`],
      expected: ['health_status_changed_event'],
    },
    {
      name: 'multi-line data without an event field: the type comes from the JSON',
      chunks: [`data: {"eventType":\r\ndata: "status_update_event"}\r\n\r\n`],
      expected: ['status_update_event'],
    },
    {
      name: 'an event with neither a type field nor typed JSON is ignored',
      chunks: [`data: hello\r\n\r\n`, `event: deployment_info\r\ndata: {}\r\n\r\n`],
      expected: ['deployment_info'],
    },
  ];
  for (const { name, chunks, expected } of cases) {
    it(name, async () => {
      const events = await startEventServer();
      cleanups.push(() => events.close());
      events.onStream = (res) => {
        // Each chunk in its own write, a moment apart, so the parser really sees the split.
        let i = 0;
        const next = () => {
          if (i >= chunks.length) return;
          res.write(chunks[i++]);
          setTimeout(next, 5);
        };
        next();
      };
      const seen = await follow(events);
      await until(() => seen.length >= expected.length, `${expected.length} events`);
      // One more moment: nothing beyond the expected events arrives.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(seen).toEqual(expected);
    });
  }

  it('an event cut mid-way by a closed stream is never delivered; the stream is reopened', async () => {
    const events = await startEventServer();
    cleanups.push(() => events.close());
    events.onStream = (res, connection) => {
      if (connection === 1) {
        res.write(`event: status_update_event\r\ndata: {"eventType":"status_update_ev`);
        setTimeout(() => res.destroy(), 20);
      } else {
        res.write(`event: deployment_success\r\ndata: {}\r\n\r\n`);
      }
    };
    const seen = await follow(events);
    await until(() => seen.length >= 1, 'the event of the second stream');
    expect(events.connections).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toBe('deployment_success');
    expect(seen).not.toContain('status_update_event');
  });

  it("the server's retry: sets the reconnect delay", async () => {
    const events = await startEventServer();
    cleanups.push(() => events.close());
    const openedAt: number[] = [];
    events.onStream = (res) => {
      openedAt.push(Date.now());
      if (openedAt.length === 1) {
        res.write(`retry: 400\r\n\r\n`);
        setTimeout(() => res.destroy(), 10);
      }
    };
    // The configured retry is 10 ms; the server asks for 400 ms.
    await follow(events, 10);
    await until(() => openedAt.length >= 2, 'the reconnect');
    expect(openedAt[1]! - openedAt[0]!).toBeGreaterThanOrEqual(390);
  });

  it('an endless event (no blank line) is not buffered past 1 MiB: the stream is reopened', async () => {
    const events = await startEventServer();
    cleanups.push(() => events.close());
    events.onStream = (res, connection) => {
      if (connection === 1) {
        res.write('data: ');
        const block = 'x'.repeat(64 * 1024);
        for (let i = 0; i < 20; i++) res.write(block);
      } else {
        res.write(`event: deployment_success\r\ndata: {}\r\n\r\n`);
      }
    };
    const seen = await follow(events);
    await until(() => seen.length >= 1, 'the event after the reopen');
    expect(seen).toEqual(['deployment_success']);
    expect(events.connections).toBe(2);
  });
});

describe('mesos source: a CRLF event from Marathon refreshes the snapshot', () => {
  let master: FakeMaster | undefined;
  afterEach(async () => {
    await master?.close();
  });

  it('publishes a new generation after one CRLF status event, long before the next poll', async () => {
    master = await startFakeMaster();
    const doc = await fixtureJson(HARBOR);
    master.body = JSON.stringify({ ...doc, leader: `master@127.0.0.1:${master.port}` });
    const marathon = await startEventServer({ apps: [] });
    cleanups.push(() => marathon.close());
    let stream: ServerResponse | null = null;
    marathon.onStream = (res) => (stream = res);
    const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger: pino({ level: 'silent' }) });
    const source = new MesosSource({
      masters: [master.url],
      marathon: marathon.url,
      refreshMs: 60_000,
      timeoutMs: 2000,
      store,
      logger: pino({ level: 'silent' }),
      resolveHost: async () => [],
    });
    cleanups.push(() => source.close());
    await source.start();
    await until(() => stream !== null, 'the event stream to open');
    expect(store.current!.generation).toBe(1);

    master.body = master.body.replace('"tugboat"', '"tugboat2"');
    const sentAt = performance.now();
    stream!.write(`event: status_update_event\r\ndata: ${status('tugboat2.1')}\r\n\r\n`);
    await until(() => store.current!.generation === 2, 'the refresh the event asks for');
    const latencyMs = performance.now() - sentAt;
    // Reported, not asserted: the refresh is measured from the event's write to the new snapshot.
    console.info(`CRLF Marathon event -> new snapshot in ${latencyMs.toFixed(1)} ms`);
    expect(store.current!.generation).toBe(2);
  });
});
