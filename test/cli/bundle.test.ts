// The bundled build (rolldown.config.mjs) run as users run it, through bin/gatehouse: the modules find
// the package's files through its package.json (core/package-files.ts), and a stack trace names the .ts
// file and line, not a chunk of the bundle. Needs `npm run build` (it copies dist/).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-bundle-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function gatehouse(packageDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(packageDir, 'bin/gatehouse'), ...args], { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the bundled build', () => {
  test('in its package: reads the version from package.json', async () => {
    const { code, stdout } = await gatehouse(ROOT, ['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^gatehouse \d+\.\d+\.\d+/);
  });

  test('copied into a package that is not Gatehouse: the error says so, and its stack names the .ts file', async () => {
    const copy = join(dir, 'elsewhere');
    await cp(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
    await cp(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    await writeFile(join(copy, 'package.json'), JSON.stringify({ name: 'not-gatehouse', type: 'module' }));
    const { code, stderr } = await gatehouse(copy, ['--version']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no package\.json of gatehouse in .*elsewhere\/dist\/chunks or above it/);
    // Mapped back through the source maps bin/gatehouse turns on: the source file, not the chunk.
    expect(stderr).toMatch(/at findManifest \(.*core\/package-files\.ts:\d+:\d+\)/);
    const frames = stderr.split('\n').filter((line) => /^\s+at /.test(line));
    expect(frames.filter((frame) => frame.includes('/dist/'))).toEqual([]);
  });

  test('our chunks are ASCII: one other character makes Node read the whole file into a two-byte string', async () => {
    const files: string[] = [];
    for (const sub of ['chunks', 'cli', 'core', 'config', 'dns', 'gateway', 'cluster', 'authn', 'mesh']) {
      const names = await readdir(join(ROOT, 'dist', sub), { recursive: true });
      for (const name of names) if (String(name).endsWith('.js')) files.push(join('dist', sub, String(name)));
    }
    expect(files.length).toBeGreaterThan(20);
    const notAscii: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8');
      const at = text.search(/[^\x00-\x7f]/);
      if (at >= 0) notAscii.push(`${file}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
    }
    expect(notAscii).toEqual([]);
  });

  test("undici as the gateway loads it: its pool only, which proxies a request with a body without Node's own undici", async () => {
    const script = `
      const { createServer } = require('node:http');
      const before = new Set(process.moduleLoadList);
      const { Pool } = require(${JSON.stringify(join(ROOT, 'dist/vendor/undici.cjs'))});
      const server = createServer((req, res) => { let n = 0; req.on('data', (c) => (n += c.length)).on('end', () => res.end('got ' + n)); });
      server.listen(0, '127.0.0.1', async () => {
        const pool = new Pool('http://127.0.0.1:' + server.address().port);
        // As gateway/proxy.ts does: dispatch with a handler (undici's own request() comes with its index).
        const { status, text } = await new Promise((resolve, reject) => {
          let status = 0; const chunks = [];
          pool.dispatch({ path: '/', method: 'POST', body: 'x'.repeat(1000), headers: ['content-length', '1000'] }, {
            onConnect() {}, onHeaders(code) { status = code; return true; }, onData(chunk) { chunks.push(chunk); return true; },
            onComplete() { resolve({ status, text: Buffer.concat(chunks).toString() }); }, onError: reject,
          });
        });
        await pool.close();
        server.close();
        const nodeUndici = process.moduleLoadList.filter((name) => /undici/.test(name) && !before.has(name));
        console.log(JSON.stringify({ status, text, nodeUndici }));
      });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual({ status: 200, text: 'got 1000', nodeUndici: [] });
    const sources = (JSON.parse(await readFile(join(ROOT, 'dist/vendor/undici.cjs.map'), 'utf8')) as { sources: string[] }).sources;
    // Not the web API its index loads (fetch, WebSocket, cookies: the last reads globalThis.Headers).
    expect(sources.filter((source) => /\/undici\/lib\/web\/(fetch\/index|websocket|cookies|eventsource)/.test(source))).toEqual([]);
    expect(sources).toContainEqual(expect.stringMatching(/undici\/lib\/dispatcher\/pool\.js$/));
  });
});
