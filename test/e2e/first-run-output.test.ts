// What a person sees on the first start: the real binary on a real pseudo-terminal (`script`), and
// with its output piped. On a terminal: one human line per event, `gatehouse is running` naming the
// URLs, the admin password and login URL in a framed block after it, no SERVFAIL warning. Piped or
// with LOG_FORMAT=json: JSON lines, the password never among them. "DNS records rebuilt" only when
// the records changed.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wantsPretty } from '../../cli/logger.js';
import { BIN, ended, startGatehouseProcess } from '../support/gatehouse-process.js';
import { tiedToWorker } from '../support/tied-to-worker.js';

describe('log format choice', () => {
  const cases: { name: string; flag?: boolean; env?: string; isTTY: boolean; pretty: boolean }[] = [
    { name: 'a terminal: human lines', isTTY: true, pretty: true },
    { name: 'a pipe: JSON', isTTY: false, pretty: false },
    { name: 'a terminal with LOG_FORMAT=json: JSON', env: 'json', isTTY: true, pretty: false },
    { name: 'a pipe with LOG_FORMAT=pretty: human lines', env: 'pretty', isTTY: false, pretty: true },
    { name: 'a pipe with --pretty: human lines', flag: true, isTTY: false, pretty: true },
    { name: '--pretty wins over LOG_FORMAT=json', flag: true, env: 'json', isTTY: false, pretty: true },
  ];
  for (const c of cases) it(c.name, () => expect(wantsPretty(c.flag, { env: c.env, isTTY: c.isTTY })).toBe(c.pretty));
});

const ANSI = /\u001b\[[0-9;]*m/g;
const state = (tasks: unknown[] = []) => ({
  leader: 'master@127.0.0.1:5050',
  slaves: [{ id: 'S0', pid: 'slave(1)@127.0.0.1:5051', hostname: '127.0.0.1' }],
  frameworks: [{ id: 'fw', name: 'marathon', pid: 'scheduler@127.0.0.1:8080', tasks }],
});
const task = (id: string) => ({
  id,
  name: 'web',
  framework_id: 'fw',
  slave_id: 'S0',
  state: 'TASK_RUNNING',
  resources: { ports: '[31000-31000]' },
  statuses: [{ state: 'TASK_RUNNING', timestamp: 1 }],
});

describe('first start', () => {
  let dir: string;
  let config: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-firstrun-'));
    await writeFile(join(dir, 'state.json'), JSON.stringify(state([task('web.1')])));
    await mkdir(join(dir, 'routes.d'));
    config = join(dir, 'gatehouse.yaml');
    await writeFile(config, [
      'cluster:', '  source: file', `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      'dns:', '  listen: 127.0.0.1:0', '  http: 127.0.0.1:0',
      'gateway:', '  listen: 127.0.0.1:0', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`, '  workers: 1',
      'authn:', `  signingKey: ${JSON.stringify(join(dir, 'signing-key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
    ].join('\n'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `gatehouse run` on a pseudo-terminal until `done(output)` holds, then stops it with SIGTERM. */
  function onTerminal(env: Record<string, string>, done: (output: string) => boolean): Promise<string> {
    const inner = `echo "PID=$$"; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run --config ${JSON.stringify(config)}`;
    const { LOG_FORMAT: _drop, ...rest } = process.env;
    const child = spawn(...tiedToWorker('script', ['-qec', inner, '/dev/null']), { env: { ...rest, ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no finished output within 45 s:\n${output}`)), 45_000);
      let stopping = false;
      const finish = (error?: Error) => {
        clearTimeout(timer);
        const pid = Number(/PID=(\d+)/.exec(output)?.[1]);
        if (pid) try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
        if (error) reject(error);
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (!stopping && done(output.replace(ANSI, ''))) {
          stopping = true;
          finish();
        }
      });
      void ended(child).then(() => resolve(output.replace(ANSI, '').replace(/\r/g, '')));
    });
  }

  it('on a terminal: one human line per event, the URLs, then the password block; no SERVFAIL warning', async () => {
    const output = await onTerminal({}, (o) => o.includes('Change it with'));
    const lines = output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('PID='));
    const running = lines.findIndex((l) => l.includes('gatehouse is running'));
    expect(running, output).toBeGreaterThan(0);
    const port = /login http:\/\/127\.0\.0\.1:(\d+)\/login/.exec(lines[running]!)?.[1];
    expect(port, lines[running]).toBeTruthy();
    expect(lines[running]).toMatch(/DNS 127\.0\.0\.1:\d+/);
    expect(lines[running]).toMatch(/Mesos-DNS API http:\/\/127\.0\.0\.1:\d+/);
    // Every log event is one line: time, level, message (fields on the same line); none is JSON.
    const events = lines.filter((l) => !/^[┌│└]/.test(l));
    for (const line of events) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|DEBUG): \S/);
    expect(output).not.toContain('{"level"');
    // The block, after the running line, not buried before it.
    const top = lines.findIndex((l) => l.startsWith('┌─ First start'));
    expect(top).toBeGreaterThan(running);
    expect(lines[top + 2]).toMatch(/^│ Password \(shown once\): \S{12,} +│$/);
    expect(lines[top + 3]).toContain(`Log in at http://127.0.0.1:${port}/login`);
    expect(output).not.toMatch(/SERVFAIL|WARN/);
    expect(events.filter((l) => l.includes('DNS records rebuilt'))).toHaveLength(1);
  }, 60_000);

  it('on a terminal with LOG_FORMAT=json: JSON lines, the block outside them', async () => {
    const output = await onTerminal({ LOG_FORMAT: 'json' }, (o) => o.includes('Change it with'));
    const lines = output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('PID='));
    const json = lines.filter((l) => l.startsWith('{'));
    expect(json.length).toBeGreaterThan(3);
    for (const l of json) expect(() => JSON.parse(l)).not.toThrow();
    const password = /Password \(shown once\): (\S+)/.exec(output)![1]!;
    for (const l of json) expect(l).not.toContain(password);
  }, 60_000);

  it('piped: JSON on stdout, the password only on stderr; records rebuilt only when they change', async () => {
    const gatehouse = startGatehouseProcess(['run', '--config', config]);
    try {
      const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 45_000);
      expect(running['urls']).toMatchObject({ login: `http://127.0.0.1:${running['gatewayPort']}/login` });
      const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!;
      expect(JSON.stringify(gatehouse.logs)).not.toContain(password);
      expect(gatehouse.logs.filter((l) => /SERVFAIL/.test(l.msg) || l.level >= 40)).toEqual([]);
      const rebuilt = () => gatehouse.logs.filter((l) => l.msg === 'DNS records rebuilt').length;
      expect(rebuilt()).toBe(1);
      const health = async () =>
        Number(((await (await fetch(`http://127.0.0.1:${running['gatewayPort']}/health`)).json()) as { generation: number }).generation);
      // The same cluster written differently: a new snapshot, the same records.
      await writeFile(join(dir, 'state.json'), JSON.stringify(state([task('web.1')]), null, 2));
      await until(async () => (await health()) === 2);
      expect(rebuilt()).toBe(1);
      // A second task: new records.
      await writeFile(join(dir, 'state.json'), JSON.stringify(state([task('web.1'), task('web.2')])));
      await until(async () => (await health()) === 3);
      await gatehouse.waitForLog((l) => l.msg === 'DNS records rebuilt' && l['generation'] === 3, 5000);
      expect(rebuilt()).toBe(2);
    } finally {
      await gatehouse.stop();
    }
  }, 60_000);
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
