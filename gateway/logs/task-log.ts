// A task's sandbox file as dcos-log serves it: from a start (`cursor` BEG, END or a byte offset),
// moved back (`skip` < 0) or forward (`skip` > 0) by lines, up to `limit` lines; with `Accept:
// text/event-stream`, then followed as the task writes more. The file is read through the agent's
// files API in bounded chunks, and only while the client takes what it was sent: a follower that
// stops reading stops the reading, so what one connection holds is one chunk plus socket buffers.
// The stream ends, cleanly, when the file is rotated (shorter than the position) or removed, or
// when the task has ended and everything it wrote has been sent.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTENT_TYPES, fileLine } from './log-formats.js';
import { LogRequestError, type LogQuery } from './log-request.js';
import { fileSize, READ_CHUNK, readChunk, type SandboxFile } from './task-sandbox.js';

export interface FollowOptions {
  /** How often a follower looks for new lines (default 100 ms: a line shows within ~0.2 s). */
  readonly pollMs?: number;
  /** How often a follower checks for rotation (a file shorter than the position) when idle. */
  readonly rotationCheckMs?: number;
  /** SSE comment lines keep idle proxies from closing the stream (default 15 s). */
  readonly heartbeatMs?: number;
}

/** Lines further back than this many bytes are not looked for (a `skip=-N` over a file of huge lines). */
const MAX_BACK_SCAN = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

export async function serveTaskLog(file: SandboxFile, query: LogQuery, res: ServerResponse, options: FollowOptions = {}): Promise<void> {
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const size = await fileSize(file, abort.signal);
  if (size === null) throw new LogRequestError('ERR_GATEWAY_LOG_NOT_FOUND', `file ${file.fields.FILE} not found in the sandbox of ${file.fields.EXECUTOR_ID}`);
  let start = startOffset(query, size);
  if (query.skip < 0) start = await linesBack(file, start, -query.skip, abort.signal);
  const follow = query.format === 'sse';
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[query.format],
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...(follow ? { connection: 'keep-alive' } : {}),
  });
  if (res.req.method === 'HEAD') return void res.end();
  if (follow) res.flushHeaders();
  const signal = abort.signal;
  const pollMs = options.pollMs ?? 100;
  const rotationCheckMs = options.rotationCheckMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let offset = start;
  let pending = Buffer.alloc(0);
  let pendingAt = start;
  let skipped = 0;
  let sent = 0;
  let lastRotationCheck = Date.now();
  let lastWrite = Date.now();
  const emit = (line: Buffer, at: number): boolean => {
    if (skipped < query.skip) {
      skipped++;
      return true;
    }
    res.write(fileLine(query.format, line.toString('utf8'), at + line.length + 1, file.fields));
    lastWrite = Date.now();
    sent++;
    return follow || query.limit === null || sent < query.limit;
  };
  try {
    while (!signal.aborted) {
      // Backpressure: nothing more is read while the client has not taken what it was sent.
      if (res.writableNeedDrain && !(await drained(res, signal))) return;
      // Asked before the read: a task that wrote its last words and ended while an empty read was on
      // its way must get one more read, or those words are lost.
      const runningBeforeRead = file.running();
      // Without follow the answer is the file as it was asked for: up to its size then (one read fewer).
      const chunk = !follow && offset >= size ? { bytes: Buffer.alloc(0), at: offset } : await readChunk(file, offset, READ_CHUNK, signal);
      if (chunk === null) return void res.end(); // the file is gone
      if (chunk.bytes.length === 0) {
        if (!follow || !runningBeforeRead) {
          // The end: what has no newline yet is a line too.
          if (pending.length) emit(pending, pendingAt);
          return void res.end();
        }
        if (Date.now() - lastRotationCheck >= rotationCheckMs) {
          lastRotationCheck = Date.now();
          const now = await fileSize(file, signal);
          if (now === null || now < offset) return void res.end(); // rotated or truncated under us
        }
        if (Date.now() - lastWrite >= heartbeatMs) {
          res.write(':\n\n');
          lastWrite = Date.now();
        }
        await sleep(pollMs, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (pending.length === 0) pendingAt = chunk.at;
      let data = pending.length ? Buffer.concat([pending, chunk.bytes]) : chunk.bytes;
      offset = chunk.at + chunk.bytes.length;
      let lineAt = pendingAt;
      let from = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, from)) {
        if (!emit(data.subarray(from, nl), lineAt)) return void res.end();
        lineAt += nl - from + 1;
        from = nl + 1;
      }
      data = data.subarray(from);
      // A line longer than a chunk is sent in chunk-sized pieces rather than held without bound.
      if (data.length >= READ_CHUNK) {
        if (!emit(data, lineAt)) return void res.end();
        lineAt += data.length;
        data = Buffer.alloc(0);
      }
      pending = Buffer.from(data);
      pendingAt = lineAt;
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
}

function startOffset(query: LogQuery, size: number): number {
  const cursor = query.cursor;
  if (cursor === null) return query.skip < 0 ? size : 0;
  if (cursor === 'BEG') return 0;
  if (cursor === 'END') return size;
  if (!/^\d+$/.test(cursor))
    throw new LogRequestError(
      'ERR_GATEWAY_LOG_BAD_REQUEST',
      `unable to parse cursor parameter: ${JSON.stringify(cursor)} is not BEG, END or a byte offset`,
    );
  return Math.min(Number(cursor), size);
}

/** The offset `count` lines before `from` (a line ending right at `from` is the first of them). */
async function linesBack(file: SandboxFile, from: number, count: number, signal: AbortSignal): Promise<number> {
  let end = from;
  let seen = 0;
  while (end > 0 && from - end < MAX_BACK_SCAN) {
    const start = Math.max(0, end - READ_CHUNK);
    const chunk = await readChunk(file, start, end - start, signal);
    if (chunk === null) throw new LogRequestError('ERR_GATEWAY_LOG_NOT_FOUND', `file ${file.fields.FILE} disappeared while it was read`);
    for (let i = chunk.bytes.length - 1; i >= 0; i--) {
      const at = chunk.at + i;
      if (at >= end || chunk.bytes[i] !== NEWLINE || at === from - 1) continue;
      if (++seen === count) return at + 1;
    }
    end = start;
  }
  return end;
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onDrain = done(true);
    const onAbort = done(false);
    res.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
