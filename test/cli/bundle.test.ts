// The bundled build (rolldown.config.mjs) run as users run it, through bin/gatehouse: the modules find
// the package's files through its package.json (core/package-files.ts), and a stack trace names the .ts
// file and line, not a chunk of the bundle. Needs `npm run build` (it copies dist/).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/no package\.json of gatehouse in .*elsewhere\/dist\/chunks or above it/);
    // Mapped back through the source maps bin/gatehouse turns on: the source file, not the chunk.
    expect(stderr).toMatch(/at findManifest \(.*core\/package-files\.ts:\d+:\d+\)/);
    const frames = stderr.split('\n').filter((line) => /^\s+at /.test(line));
    expect(frames.filter((frame) => frame.includes('/dist/'))).toEqual([]);
  });
});
