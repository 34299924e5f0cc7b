// Stack traces of the built dist/ name the .ts files where Gatehouse prints them (core/stack-traces.ts),
// in a plain Node process as bin/gatehouse and the workers run: the map beside a chunk is read when a
// position of it is mapped. Reading an error's stack (as Node does for every stream destroyed with an
// error) maps nothing. Needs `npm run build`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * An error thrown by dist/config's loadConfig, in a child process: its stack as read, the same mapped,
 * the stack of a function of the script itself mapped, and the JSON line the logger writes for it.
 */
async function traces(nodeFlags: string[]): Promise<{ read: string[]; mapped: string[]; local: string[]; logged: string[] }> {
  const script = `
    const { mapStackTrace, stackOf } = await import(${JSON.stringify(`${DIST}core/stack-traces.js`)});
    const { loadConfig } = await import(${JSON.stringify(`${DIST}config/index.js`)});
    const { createLogger } = await import(${JSON.stringify(`${DIST}cli/logger.js`)});
    const local = () => { throw new Error('thrown here'); };
    const error = await loadConfig('/nonexistent/gatehouse.yaml').catch((e) => e);
    const read = error.stack;
    let thrown; try { local(); } catch (e) { thrown = e; }
    const logged = [];
    const logger = createLogger({ level: 'info', pretty: false, fd: 1 });
    logger.error({ err: error }, 'failed');
    process.stdout.write(JSON.stringify({ read, mapped: mapStackTrace(error.stack), local: stackOf(thrown) }) + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags, '--input-type=module', '-e', script]);
  const [logLine, result] = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) as [
    { err: { stack: string } },
    { read: string; mapped: string; local: string },
  ];
  return { read: result.read.split('\n'), mapped: result.mapped.split('\n'), local: result.local.split('\n'), logged: logLine.err.stack.split('\n') };
}

const CHUNK_FRAME = /^ {4}at .*loadConfig \(.*\/dist\/.*\.js:\d+:\d+\)$/;
const SOURCE_FRAME = /^ {4}at .*loadConfig \(.*\/config\/gatehouse-config\.ts:\d+:\d+\)$/;
const frameOf = (lines: string[], name: string) => lines.find((line) => line.includes(name));

describe('stack traces of dist/', () => {
  it('read: the chunk, as V8 prints it (nothing is mapped for a stack nobody prints)', async () => {
    const { read } = await traces([]);
    expect(read[0]).toBe('ConfigError: /nonexistent/gatehouse.yaml:1:1: cannot read the config file (ENOENT)');
    expect(frameOf(read, 'loadConfig')).toMatch(CHUNK_FRAME);
  });

  it('printed (mapStackTrace, stackOf, the logger\'s err): the .ts file, line and column; a frame without a map stays as V8 prints it', async () => {
    const { mapped, local, logged } = await traces([]);
    expect(mapped[0]).toBe('ConfigError: /nonexistent/gatehouse.yaml:1:1: cannot read the config file (ENOENT)');
    expect(frameOf(mapped, 'loadConfig')).toMatch(SOURCE_FRAME);
    expect(frameOf(logged, 'loadConfig')).toMatch(SOURCE_FRAME);
    expect(frameOf(local, 'at local')).toMatch(/^ {4}at local \(file:\/\/\/.*\[eval1\]:\d+:\d+\)$/);
  });

  it('only frames are mapped: a chunk\'s position in the message (any text can be there) stays as it is', async () => {
    const { read } = await traces([]);
    const frame = frameOf(read, 'loadConfig')!;
    const position = /\((.*\/dist\/.*\.js:\d+:\d+)\)$/.exec(frame)![1]!;
    const text = `Error: cannot read ${position}\n${frame}`;
    const script = `
      const { mapStackTrace } = await import(${JSON.stringify(`${DIST}core/stack-traces.js`)});
      process.stdout.write(mapStackTrace(${JSON.stringify(text)}));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const [message, mapped] = stdout.split('\n');
    expect(message).toBe(`Error: cannot read ${position}`);
    expect(mapped).toMatch(SOURCE_FRAME);
  });

  it('a frame whose file is not an absolute path is left as it is, not resolved against the working directory', async () => {
    const { read } = await traces([]);
    const frame = frameOf(read, 'loadConfig')!;
    const absolute = /\((?:file:\/\/)?(\/.*\/dist\/)(.*\.js:\d+:\d+)\)$/.exec(frame)!;
    // The same chunk and position, written relative to dist/, read in a process whose working directory is dist/.
    const relative = `    at loadConfig (${absolute[2]})`;
    const script = `
      const { mapStackTrace } = await import(${JSON.stringify(`${DIST}core/stack-traces.js`)});
      process.stdout.write(mapStackTrace(${JSON.stringify(relative)}));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: absolute[1] });
    expect(stdout).toBe(relative);
  });

  it('Node\'s own --enable-source-maps on: left to Node, still the .ts file', async () => {
    const { read, mapped } = await traces(['--enable-source-maps']);
    expect(frameOf(read, 'loadConfig')).toMatch(SOURCE_FRAME);
    expect(mapped).toEqual(read);
  });
});
