// An agent's own HTTP endpoint (what `/agent/<id>/` in the gateway reaches): Mesos's agent `/state`
// and the sandbox file API (`/files/browse`, `/files/read`, `/files/download`) that UIs use to show
// task logs. File paths are confined to the agent's sandboxes.
import { createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, join, sep } from 'node:path';
import type { LocalAgent } from '../agent/agent.js';
import type { LocalMaster } from '../master/master.js';
import { MESOS_VERSION, taskJson } from './master-json.js';
import { resourcesJson } from '../master/resources.js';

const MAX_READ = 1024 * 1024;

export function createAgentHttpServer(agent: LocalAgent, master: LocalMaster): Server {
  return createServer((request, response) => {
    handle(agent, master, request, response).catch((error: unknown) => sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) }));
  });
}

async function handle(agent: LocalAgent, master: LocalMaster, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://local');
  const path = url.pathname.replace(/^\/slave\(1\)/, '').replace(/\/+$/, '') || '/';
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { message: 'read-only' });
  if (path === '/state' || path === '/state.json') return sendJson(response, 200, agentState(agent, master));
  if (path === '/health') {
    response.writeHead(200);
    return void response.end();
  }
  if (path === '/files/browse' || path === '/files/read' || path === '/files/download') {
    const file = await confine(agent, url.searchParams.get('path') ?? '');
    if (!file) return sendJson(response, 404, { message: 'no such file in this agent\'s sandboxes' });
    if (path === '/files/browse') {
      const entries = await readdir(file, { withFileTypes: true }).catch(() => null);
      if (!entries) return sendJson(response, 400, { message: 'not a directory' });
      return sendJson(response, 200, await Promise.all(entries.map(async (e) => {
        const info = await stat(join(file, e.name));
        return { path: join(file, e.name), size: info.size, mtime: info.mtimeMs / 1000, mode: e.isDirectory() ? 'drwxr-xr-x' : '-rw-r--r--', nlink: info.nlink };
      })));
    }
    const info = await stat(file);
    if (!info.isFile()) return sendJson(response, 400, { message: 'not a file' });
    if (path === '/files/download') {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size, 'content-disposition': attachment(basename(file)) });
      createReadStream(file).pipe(response);
      return;
    }
    const offset = Number(url.searchParams.get('offset') ?? -1);
    // Mesos: offset -1 asks for the size only.
    if (!(offset >= 0)) return sendJson(response, 200, { data: '', offset: info.size });
    const length = Math.min(MAX_READ, Math.max(0, Number(url.searchParams.get('length') ?? MAX_READ) || MAX_READ));
    const handleFile = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, info.size - offset)));
      const { bytesRead } = await handleFile.read(buffer, 0, buffer.length, offset);
      return sendJson(response, 200, { data: buffer.subarray(0, bytesRead).toString('utf8'), offset });
    } finally {
      await handleFile.close();
    }
  }
  sendJson(response, 404, { message: `${path}: not an endpoint of this agent` });
}

/** The real path when it lies inside the agent's work directory, else null (no `..`, no symlinks out). */
async function confine(agent: LocalAgent, requested: string): Promise<string | null> {
  if (!requested) return null;
  const root = await realpath(agent.workDir).catch(() => null);
  const target = await realpath((await latestRun(agent, requested)) ?? (requested.startsWith('/') ? requested : join(agent.workDir, requested))).catch(() => null);
  if (!root || !target) return null;
  return target === root || target.startsWith(root + sep) ? target : null;
}

/**
 * Mesos's virtual path for an executor's latest run, `/frameworks/<fw>/executors/<executor>/runs/latest[/...]`
 * (what a UI can build from the master's state alone), as a real path: the running task's sandbox, or
 * for a task that ended the newest run on disk (its stdout is what tells why). A command task's
 * executor id is its task id. The caller still confines the result.
 */
async function latestRun(agent: LocalAgent, requested: string): Promise<string | null> {
  const match = /^\/frameworks\/([^/]+)\/executors\/([^/]+)\/runs\/latest(\/.*)?$/.exec(requested);
  if (!match) return null;
  const [, framework = '', executor = '', rest = ''] = match;
  const task = agent.task(executor);
  if (task && task.launch.frameworkId === framework) return task.sandbox + rest;
  const runs = join(agent.workDir, 'frameworks', framework, 'executors', executor, 'runs');
  const dated = await Promise.all((await readdir(runs).catch(() => [] as string[])).map(async (run) => ({ run, at: (await stat(join(runs, run)).catch(() => null))?.mtimeMs ?? -1 })));
  const newest = dated.sort((a, b) => b.at - a.at)[0];
  return newest ? join(runs, newest.run) + rest : null;
}

function agentState(agent: LocalAgent, master: LocalMaster): Record<string, unknown> {
  return {
    id: agent.id,
    pid: agent.pid,
    hostname: agent.hostname,
    version: MESOS_VERSION,
    start_time: agent.registeredAt,
    resources: resourcesJson(agent.resources),
    attributes: {},
    master_hostname: master.ip,
    flags: { work_dir: agent.workDir, port: String(agent.port), hostname: agent.hostname },
    frameworks: master.frameworks().map((framework) => ({
      id: framework.id,
      name: framework.scheduler.name,
      executors: [...framework.tasks.values()].filter((t) => t.launch.agentId === agent.id).map((task) => ({
        id: task.launch.taskId,
        name: `Command Executor (Task: ${task.launch.taskId})`,
        source: task.launch.taskId,
        framework_id: framework.id,
        directory: agent.task(task.launch.taskId)?.sandbox ?? '',
        resources: resourcesJson(task.launch.resources),
        tasks: [taskJson(task)],
        queued_tasks: [],
        completed_tasks: [],
      })),
      completed_executors: [],
    })),
    completed_frameworks: [],
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.destroy();
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

/**
 * `Content-Disposition` for a sandbox file: a task names its files, and a name with `"`, controls or
 * characters beyond Latin-1 must not break (or make node:http refuse) the header. An ASCII
 * `filename` fallback, and the exact name as RFC 8187 `filename*`.
 */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
