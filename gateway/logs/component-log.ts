// Component logs (`dcos node log --leader [--component U]`) as dcos-log serves the journal: the
// entries of a unit (matched on UNIT or _SYSTEMD_UNIT, `gatehouse` meaning `gatehouse.service`),
// filtered by `filter=FIELD:value`, from a cursor (`BEG`, `END` or an entry's cursor), moved by
// `skip` (negative: that many back), at most `limit`; with `Accept: text/event-stream`, followed.
// The entries come from Gatehouse's in-memory ring (log-ring.ts), so they are its recent lines only.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentCursor, componentEntry, componentFields, CONTENT_TYPES } from './log-formats.js';
import { LogRequestError, type LogQuery } from './log-request.js';
import type { ComponentLogSource, LogRecord } from './log-ring.js';

const BOOT_TIME = Date.now();

export async function serveComponentLog(
  source: ComponentLogSource,
  unit: string | null,
  query: LogQuery,
  res: ServerResponse,
  options: { pollMs?: number; heartbeatMs?: number } = {},
): Promise<void> {
  const wanted = unit === null ? null : unit.includes('.') ? unit : `${unit}.service`;
  const matches = (record: LogRecord): boolean => {
    const fields = componentFields(record, BOOT_TIME);
    if (wanted !== null && fields['UNIT'] !== wanted && fields['_SYSTEMD_UNIT'] !== wanted) return false;
    return query.filters.every((f) => fields[f.field] === f.value);
  };
  const records = (await source.records()).filter(matches);
  let index = startIndex(records, query.cursor, query.skip);
  if (query.skip > 0) index = Math.min(records.length, index + query.skip);
  const follow = query.format === 'sse';
  const chosen = records.slice(index, query.limit !== null && !follow ? index + query.limit : undefined);
  res.writeHead(200, { 'content-type': CONTENT_TYPES[query.format], 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  if (res.req.method === 'HEAD') return void res.end();
  for (const record of chosen) res.write(componentEntry(query.format, record, BOOT_TIME));
  if (!follow) return void res.end();
  res.flushHeaders();
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  let last = chosen.at(-1)?.seq ?? (index > 0 ? records[index - 1]!.seq : 0);
  let lastWrite = Date.now();
  while (!abort.signal.aborted) {
    await sleep(options.pollMs ?? 150, undefined, { signal: abort.signal }).catch(() => undefined);
    if (abort.signal.aborted) return;
    // A client that does not read gets nothing more queued: the ring keeps the lines meanwhile.
    if (res.writableNeedDrain) continue;
    const fresh = (await source.records(last)).filter((r) => r.seq > last && matches(r));
    for (const record of fresh) res.write(componentEntry(query.format, record, BOOT_TIME));
    if (fresh.length) {
      last = fresh.at(-1)!.seq;
      lastWrite = Date.now();
    } else if (Date.now() - lastWrite >= (options.heartbeatMs ?? 15_000)) {
      res.write(':\n\n');
      lastWrite = Date.now();
    }
  }
}

/** Where reading starts among `records`: after `skip` < 0 has moved it back. */
function startIndex(records: readonly LogRecord[], cursor: string | null, skip: number): number {
  let at: number;
  if (cursor === null) at = skip < 0 ? records.length : 0;
  else if (cursor === 'BEG') at = 0;
  else if (cursor === 'END') at = records.length;
  else {
    const found = records.findIndex((r) => componentCursor(r) === cursor);
    if (!/^gatehouse-\d+$/.test(cursor))
      throw new LogRequestError(
        'ERR_GATEWAY_LOG_BAD_REQUEST',
        `unable to parse cursor parameter: ${JSON.stringify(cursor)} is not BEG, END or a cursor of these entries`,
      );
    // A cursor older than the ring starts at its oldest entry; journald would seek to the nearest.
    at = found >= 0 ? found : records.findIndex((r) => r.seq > Number(cursor.slice('gatehouse-'.length)));
    if (at < 0) at = records.length;
  }
  return skip < 0 ? Math.max(0, at + skip) : at;
}
