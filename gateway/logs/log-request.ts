// What a dcos-log v2 request asks for, read from its path, query and headers: which log (a task's
// sandbox file, or component entries), where to start (`cursor`, `skip`, `Last-Event-ID`), how many
// (`limit`), and in which format (`Accept`). Anything malformed is a LogRequestError (400) that
// names the parameter.
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, type GatewayAnswerCode } from '../errors.js';

export type LogTarget =
  | { readonly kind: 'task'; readonly agentId: string | null; readonly taskId: string; readonly file: string }
  | {
      readonly kind: 'run';
      readonly agentId: string;
      readonly frameworkId: string;
      readonly executorId: string;
      readonly containerId: string;
      readonly taskPath: string | null;
      readonly file: string;
    }
  | {
      readonly kind: 'component';
      readonly scope: 'leader' | 'local' | 'agent';
      readonly agentId: string | null;
      readonly unit: string | null;
    };

export type LogFormat = 'text' | 'json' | 'sse';

export interface LogQuery {
  /** `BEG`, `END`, a position (a byte offset for files, an entry cursor for components), or null. */
  readonly cursor: string | null;
  readonly skip: number;
  readonly limit: number | null;
  readonly format: LogFormat;
  readonly filters: readonly { readonly field: string; readonly value: string }[];
}

/** A log request that cannot be answered; its code is the gateway answer (status and title) it becomes. */
export class LogRequestError extends GatewayError {
  declare readonly code: GatewayAnswerCode;
  constructor(code: GatewayAnswerCode, message: string) {
    super(code, message);
  }
}

const SEGMENT = '([^/]+)';
const TASK = new RegExp(`^/system/v1(?:/agent/${SEGMENT})?/logs/v2/task/${SEGMENT}(?:/file/${SEGMENT})?$`);
const RUN = new RegExp(
  `^/system/v1/agent/${SEGMENT}/logs/v2/task/frameworks/${SEGMENT}/executors/${SEGMENT}/runs/${SEGMENT}(?:/tasks/${SEGMENT})?/${SEGMENT}$`,
);
const COMPONENT = new RegExp(`^/system/v1(/leader/mesos|/agent/${SEGMENT})?/logs/v2/component(?:/${SEGMENT})?$`);

/** Whether the gateway's log service owns this (normalised) path. */
export function isLogPath(path: string): boolean {
  return path.startsWith('/system/v1/') && path.includes('/logs/v2/');
}

/** The log a path names, or null when it is none of dcos-log's v2 paths. */
export function logTarget(path: string): LogTarget | null {
  const run = RUN.exec(path);
  // `frameworks` as a task id would be the run path; the run pattern is tried first.
  if (run)
    return {
      kind: 'run',
      agentId: run[1]!,
      frameworkId: run[2]!,
      executorId: run[3]!,
      containerId: run[4]!,
      taskPath: run[5] ?? null,
      file: checkedFile(run[6]!),
    };
  const task = TASK.exec(path);
  if (task) return { kind: 'task', agentId: task[1] ?? null, taskId: task[2]!, file: checkedFile(task[3] ?? 'stdout') };
  const component = COMPONENT.exec(path);
  if (component)
    return {
      kind: 'component',
      scope: component[1] === undefined ? 'local' : component[2] ? 'agent' : 'leader',
      agentId: component[2] ?? null,
      unit: component[3] ?? null,
    };
  return null;
}

function checkedFile(file: string): string {
  if (file === '.' || file === '..' || file.includes('/') || file.includes('\0'))
    throw new LogRequestError('ERR_GATEWAY_LOG_BAD_REQUEST', `file ${JSON.stringify(file)} is not a file name in the sandbox`);
  return file;
}

export function logQuery(search: string, headers: IncomingHttpHeaders): LogQuery {
  const params = new URLSearchParams(search);
  const integer = (name: string, text: string | null): number | null => {
    if (text === null || text === '') return null;
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw new LogRequestError(
        'ERR_GATEWAY_LOG_BAD_REQUEST',
        `unable to parse ${name} parameter: ${JSON.stringify(text)} is not an integer`,
      );
    return Number(text);
  };
  const limit = integer('limit', params.get('limit'));
  if (limit !== null && limit < 0) throw new LogRequestError('ERR_GATEWAY_LOG_BAD_REQUEST', `unable to parse limit parameter: ${limit} is negative`);
  // A reconnecting EventSource sends where it stopped; it wins over the query (as dcos-log does).
  const lastEventId = headerValue(headers['last-event-id']);
  const filters = params.getAll('filter').map((filter) => {
    const [field, value, ...rest] = filter.split(':');
    if (!field || value === undefined || rest.length)
      throw new LogRequestError(
        'ERR_GATEWAY_LOG_BAD_REQUEST',
        `incorrect filter parameter format, must be ?filter=key:value. Got ${filter}`,
      );
    return { field: field.toUpperCase(), value };
  });
  return {
    cursor: lastEventId ? lastEventId : params.get('cursor') || null,
    skip: lastEventId ? 0 : integer('skip', params.get('skip')) ?? 0,
    limit: lastEventId ? null : limit,
    format: formatOf(headerValue(headers.accept)),
    filters,
  };
}

/** dcos-log's choice by Accept: event-stream streams, JSON gives entries, anything else text lines. */
function formatOf(accept: string | null): LogFormat {
  const wanted = (accept ?? '').toLowerCase();
  if (wanted.includes('text/event-stream')) return 'sse';
  if (wanted.includes('application/json')) return 'json';
  return 'text';
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? value[0] ?? null : value ?? null;
}
