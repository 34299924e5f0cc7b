// `dcos task exec` as the DC/OS CLI sends it, byte for byte: dcos/dcos-core-cli pkg/mesos/taskio.go
// builds the calls with mesos-go (api/v1/lib/agent/calls), and mesos-go's httpcli sends them:
//   - LAUNCH_NESTED_CONTAINER_SESSION: a protobuf agent.Call (Content-Length), `Content-Type:
//     application/x-protobuf`, `Accept: application/x-protobuf` then a second `Accept:
//     application/recordio` line (http.go buildRequest sets one and adds the other), `Message-Accept:
//     application/x-protobuf`; the answer must be 200 `application/recordio` with `Message-Content-Type:
//     application/x-protobuf`, RecordIO frames of ProcessIO (httpagent: ResponseClassStreaming).
//   - ATTACH_CONTAINER_INPUT: a chunked POST (io.Pipe) `Content-Type: application/recordio`, `Message-
//     Content-Type: application/x-protobuf`, `Accept: application/x-protobuf`; records: the container id
//     first, then DATA STDIN (512-byte reads; an empty one at EOF), CONTROL TTY_INFO (0x0 first, then
//     the terminal's size) and HEARTBEAT every 30 s; the answer: 200 without Content-Type, or 202.
//   - WAIT_CONTAINER once both streams end; exit code = exit_status >> 8, or 128 + signal.
// The messages are written here with protobufjs's Writer and Mesos's field numbers (include/mesos/v1/
// agent/agent.proto, mesos.proto), not with the .proto files Gatehouse ships, so a wrong number there
// fails these tests.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import protobuf from 'protobufjs';
import { RecordIoReader } from '../../cluster/recordio.js';

const { Writer, Reader } = protobuf;
type W = protobuf.Writer;

export interface ContainerId {
  readonly value: string;
  readonly parent?: ContainerId;
}

const LEN = 2;
const VARINT = 0;
const tag = (w: W, field: number, wire: number): W => w.uint32((field << 3) | wire);
const message = (w: W, field: number, body: (w: W) => void): W => {
  tag(w, field, LEN).fork();
  body(w);
  return w.ldelim();
};
const containerId = (w: W, field: number, id: ContainerId): W =>
  message(w, field, (m) => {
    tag(m, 1, LEN).string(id.value);
    if (id.parent) containerId(m, 2, id.parent);
  });

export interface LaunchOptions {
  readonly id: ContainerId;
  readonly command: string;
  readonly args: readonly string[];
  readonly tty?: boolean;
}

/** taskio.go launchNestedContainerSessionCall: shell false, value = cmd, arguments = [cmd, ...args], TERM=xterm with a TTY. */
export function launchCall(options: LaunchOptions): Buffer {
  const w = Writer.create();
  tag(w, 1, VARINT).int32(17); // Call.type = LAUNCH_NESTED_CONTAINER_SESSION
  message(w, 9, (s) => {
    containerId(s, 1, options.id);
    message(s, 2, (c) => {
      if (options.tty) {
        message(c, 2, (env) =>
          message(env, 1, (v) => {
            tag(v, 1, LEN).string('TERM'); // Variable.name
            tag(v, 3, VARINT).int32(1); // type VALUE
            tag(v, 2, LEN).string('xterm'); // value
          }),
        );
      }
      tag(c, 3, LEN).string(options.command); // CommandInfo.value
      for (const arg of [options.command, ...options.args]) tag(c, 7, LEN).string(arg); // arguments
      tag(c, 6, VARINT).bool(false); // shell
    });
    message(s, 3, (ci) => {
      tag(ci, 1, VARINT).int32(2); // ContainerInfo.type = MESOS
      if (options.tty) message(ci, 10, () => undefined); // tty_info: {}
    });
  });
  return Buffer.from(w.finish());
}

const attach = (body: (w: W) => void): Buffer => {
  const w = Writer.create();
  tag(w, 1, VARINT).int32(18); // ATTACH_CONTAINER_INPUT
  message(w, 10, body);
  return Buffer.from(w.finish());
};

export const inputRecords = {
  containerId: (id: ContainerId): Buffer => attach((a) => { tag(a, 1, VARINT).int32(1); containerId(a, 2, id); }),
  stdin: (data: Buffer | string): Buffer =>
    attach((a) => {
      tag(a, 1, VARINT).int32(2); // PROCESS_IO
      message(a, 3, (io) => { tag(io, 1, VARINT).int32(1); message(io, 2, (d) => { tag(d, 1, VARINT).int32(1); tag(d, 2, LEN).bytes(Buffer.from(data)); }); });
    }),
  ttyInfo: (rows: number, columns: number): Buffer =>
    attach((a) => {
      tag(a, 1, VARINT).int32(2);
      message(a, 3, (io) => {
        tag(io, 1, VARINT).int32(2); // CONTROL
        message(io, 3, (c) => {
          tag(c, 1, VARINT).int32(1); // TTY_INFO
          message(c, 2, (t) =>
            message(t, 1, (ws) => {
              tag(ws, 1, VARINT).uint32(rows);
              tag(ws, 2, VARINT).uint32(columns);
            }),
          );
        });
      });
    }),
  heartbeat: (): Buffer =>
    attach((a) => {
      tag(a, 1, VARINT).int32(2);
      message(a, 3, (io) => {
        tag(io, 1, VARINT).int32(2); // CONTROL
        message(io, 3, (c) => {
          tag(c, 1, VARINT).int32(2); // HEARTBEAT
          message(c, 3, (h) => message(h, 1, (d) => tag(d, 1, VARINT).int64(30e9)));
        });
      });
    }),
};

export function waitCall(id: ContainerId): Buffer {
  const w = Writer.create();
  tag(w, 1, VARINT).int32(23); // WAIT_CONTAINER
  message(w, 14, (s) => containerId(s, 1, id));
  return Buffer.from(w.finish());
}

export const frame = (record: Buffer): Buffer => Buffer.concat([Buffer.from(`${record.length}\n`), record]);

export interface ProcessIo {
  readonly kind: 'STDOUT' | 'STDERR' | 'CONTROL' | 'OTHER';
  readonly data: Buffer;
}

/** ProcessIO {type=1, data=2 {type=1, data=2}, control=3}, read field by field. */
export function decodeProcessIo(bytes: Buffer): ProcessIo {
  const r = Reader.create(bytes);
  let type = 0;
  let out: ProcessIo = { kind: 'OTHER', data: Buffer.alloc(0) };
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 1) type = r.int32();
    else if (t >>> 3 === 2) {
      const d = Reader.create(r.bytes());
      let dtype = 0;
      let data = Buffer.alloc(0);
      while (d.pos < d.len) {
        const dt = d.uint32();
        if (dt >>> 3 === 1) dtype = d.int32();
        else if (dt >>> 3 === 2) data = Buffer.from(d.bytes());
        else d.skipType(dt & 7);
      }
      out = { kind: dtype === 2 ? 'STDOUT' : dtype === 3 ? 'STDERR' : 'OTHER', data };
    } else r.skipType(t & 7);
  }
  return type === 2 ? { kind: 'CONTROL', data: Buffer.alloc(0) } : out;
}

/** Response {type=1, wait_container=16 {exit_status=1}}. */
export function decodeWaitStatus(bytes: Buffer): number | null {
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 !== 16) {
      r.skipType(t & 7);
      continue;
    }
    const w = Reader.create(r.bytes());
    while (w.pos < w.len) {
      const wt = w.uint32();
      if (wt >>> 3 === 1) return w.int32();
      w.skipType(wt & 7);
    }
  }
  return null;
}

export interface Session {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly response: IncomingMessage;
  /** Resolves when the stream ends: everything written to stdout and stderr, and the records seen. */
  readonly done: Promise<{ stdout: string; stderr: string; controls: number }>;
  /** The error body for a status other than 200. */
  readonly text: Promise<string>;
}

/** POSTs one launch call (with the CLI's headers) and reads the RecordIO answer as taskio.go forwards it. */
export function launchSession(url: string, headers: Record<string, string>, body: Buffer, extra: Record<string, string | string[]> = {}): Promise<Session> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        accept: ['application/x-protobuf', 'application/recordio'],
        'message-accept': 'application/x-protobuf',
        'content-length': body.length,
        ...headers,
        ...extra,
      },
    });
    req.on('error', reject);
    req.on('response', (response) => {
      const reader = new RecordIoReader(16 * 1024 * 1024);
      let stdout = '';
      let stderr = '';
      let controls = 0;
      let raw = '';
      const done = new Promise<{ stdout: string; stderr: string; controls: number }>((ok, fail) => {
        response.on('data', (chunk: Buffer) => {
          if (response.statusCode !== 200) return void (raw += chunk.toString());
          for (const record of reader.push(chunk)) {
            const io = decodeProcessIo(record);
            if (io.kind === 'STDOUT') stdout += io.data.toString();
            else if (io.kind === 'STDERR') stderr += io.data.toString();
            else if (io.kind === 'CONTROL') controls++;
          }
        });
        response.on('end', () => ok({ stdout, stderr, controls }));
        response.on('error', fail);
        response.on('aborted', () => fail(new Error('the session stream was cut')));
      });
      done.catch(() => undefined);
      const text = done.then(() => raw);
      text.catch(() => undefined);
      resolve({ status: response.statusCode ?? 0, headers: response.headers, response, done, text });
    });
    req.end(body);
  });
}

/** The ATTACH_CONTAINER_INPUT stream: a chunked POST kept open; `send` writes one framed record. */
export function attachInput(url: string, headers: Record<string, string>, extra: Record<string, string> = {}): {
  readonly req: ClientRequest;
  send(record: Buffer): void;
  readonly answer: Promise<{ status: number; contentType: string | undefined; body: string }>;
} {
  const req = request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/recordio',
      'message-content-type': 'application/x-protobuf',
      accept: 'application/x-protobuf',
      'transfer-encoding': 'chunked',
      ...headers,
      ...extra,
    },
  });
  const answer = new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (response) => {
      let body = '';
      response.on('data', (c: Buffer) => (body += c.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
  });
  answer.catch(() => undefined);
  req.flushHeaders();
  return { req, send: (record) => void req.write(frame(record)), answer };
}

/** WAIT_CONTAINER as taskio.go waitContainer sends it (singleton: Accept application/x-protobuf). */
export async function waitContainer(
  url: string,
  headers: Record<string, string>,
  id: ContainerId,
): Promise<{ status: number; exitStatus: number | null; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf', ...headers },
    body: waitCall(id),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, exitStatus: response.status === 200 ? decodeWaitStatus(bytes) : null, text: bytes.toString() };
}
