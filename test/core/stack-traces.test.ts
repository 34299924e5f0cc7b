// Stack traces of the built dist/ name the .ts files (core/stack-traces.ts), in a plain Node process
// as bin/gatehouse and the workers run: the map beside a chunk is read when a frame of it is printed.
// Needs `npm run build`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The first lines of the stack of an error thrown by dist/config's loadConfig, printed in a child process. */
async function stackOf(nodeFlags: string[], install: boolean): Promise<string[]> {
  const script = `
    ${install ? `(await import(${JSON.stringify(`${DIST}core/stack-traces.js`)})).installStackTraceMapping();` : ''}
    const { loadConfig } = await import(${JSON.stringify(`${DIST}config/index.js`)});
    const local = () => { throw new Error('thrown here'); };
    try { await loadConfig('/nonexistent/gatehouse.yaml'); } catch (error) { console.log(error.stack); }
    try { local(); } catch (error) { console.log(error.stack); }
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags, '--input-type=module', '-e', script]);
  return stdout.split('\n');
}

describe('stack traces of dist/', () => {
  it.each([
    { name: 'installed: a chunk\'s frame names the .ts file, line and column', flags: [], install: true, mapped: true },
    { name: 'not installed: the chunk itself (what the mapping saves us from)', flags: [], install: false, mapped: false },
    { name: 'Node\'s own --enable-source-maps on: left to Node, still the .ts file', flags: ['--enable-source-maps'], install: true, mapped: true },
  ])('$name', async ({ flags, install, mapped }) => {
    const lines = await stackOf(flags, install);
    expect(lines[0]).toBe('ConfigError: /nonexistent/gatehouse.yaml:1:1: cannot read the config file (ENOENT)');
    const frame = lines.find((line) => line.includes('loadConfig'));
    if (mapped) expect(frame).toMatch(/^ {4}at .*loadConfig \(.*\/config\/gatehouse-config\.ts:\d+:\d+\)$/);
    else expect(frame).toMatch(/^ {4}at .*loadConfig \(.*\/dist\/.*\.js:\d+:\d+\)$/);
    // A frame of a file without a map (the script itself) is printed as V8 prints it.
    const local = lines.find((line) => line.includes('at local'));
    expect(local).toMatch(/^ {4}at local \(file:\/\/\/.*\[eval1\]:\d+:\d+\)$/);
  });
});
