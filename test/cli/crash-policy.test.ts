// The process-level crash policy (cli/crash-policy.ts) in a real Node process running the built
// module: an uncaught exception or an unhandled rejection is logged (without its message, which may
// quote request values) and counted, and the process goes on; a failed assertion or a storm of
// failures ends it with exit code 2. Needs `npm run build` (it loads dist/).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ended } from '../support/gatehouse-process.js';

const DIST = fileURLToPath(new URL('../../dist/cli/', import.meta.url));

function run(body: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stdout: string }> {
  const script = `
    import { Registry } from 'prom-client';
    import { installCrashPolicy } from ${JSON.stringify(`${DIST}crash-policy.js`)};
    import { createLogger } from ${JSON.stringify(`${DIST}logger.js`)};
    const registry = new Registry();
    const logger = createLogger({ level: 'info', pretty: false });
    const later = (ms, fn) => new Promise((resolve) => setTimeout(() => { fn(); resolve(); }, ms));
    ${body}
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    void ended(child).then((code) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, stdout });
    });
  });
}

describe('crash policy', () => {
  it('an uncaught exception and an unhandled rejection are logged without their message, counted, and the process serves on', async () => {
    const { code, lines, stdout } = await run(`
      installCrashPolicy({ logger, registry });
      setTimeout(() => { const e = new TypeError('Invalid character in header content: secret-cookie-value'); e.code = 'ERR_INVALID_CHAR'; throw e; }, 10);
      setTimeout(() => void Promise.reject(new Error('password=hunter2')), 20);
      await later(100, () => {});
      console.log(JSON.stringify({ msg: 'still here', metrics: await registry.metrics() }));
    `);
    expect(code).toBe(0);
    const logged = lines.filter((l) => String(l['msg']).startsWith('uncaught'));
    expect(logged.map((l) => [l['kind'], l['code'], l['level']])).toEqual([['exception', 'ERR_INVALID_CHAR', 50], ['rejection', 'none', 50]]);
    expect(stdout).not.toContain('secret-cookie-value');
    expect(stdout).not.toContain('hunter2');
    const last = lines.at(-1)!;
    expect(last['msg']).toBe('still here');
    expect(last['metrics']).toContain('gatehouse_process_uncaught_errors_total{kind="exception"} 1');
    expect(last['metrics']).toContain('gatehouse_process_uncaught_errors_total{kind="rejection"} 1');
  });

  it('the logged frames name the .ts files, not the chunks of dist/', async () => {
    const { lines } = await run(`
      installCrashPolicy({ logger, registry });
      const { loadConfig } = await import(${JSON.stringify('CONFIG')});
      void loadConfig('/nonexistent/gatehouse.yaml');
      await later(200, () => {});
    `.replace('CONFIG', fileURLToPath(new URL('../../dist/config/index.js', import.meta.url))));
    const logged = lines.find((l) => l['msg'] === 'uncaught rejection; logged and serving on');
    expect(logged?.['at']).toContainEqual(expect.stringMatching(/^at .*loadConfig \(.*\/config\/gatehouse-config\.ts:\d+:\d+\)$/));
  });

  const fatal: { name: string; body: string; reason: RegExp }[] = [
    {
      name: 'a failed assertion (our own invariant broken)',
      body: `setTimeout(() => { throw Object.assign(new Error('x'), { code: 'ERR_ASSERTION' }); }, 10);`,
      reason: /a failed assertion/,
    },
    {
      name: 'more failures in a minute than maxPerMinute',
      body: `for (let i = 0; i < 4; i++) setTimeout(() => { throw new Error('boom'); }, 10);`,
      reason: /more than 3 in a minute/,
    },
  ];
  for (const c of fatal) {
    it(`${c.name}: logged as fatal, exit code 2`, async () => {
      const { code, lines } = await run(`
        installCrashPolicy({ logger, registry, maxPerMinute: 3 });
        ${c.body}
        await later(2000, () => console.log(JSON.stringify({ msg: 'should not be here' })));
      `);
      expect(code).toBe(2);
      expect(lines.find((l) => l['level'] === 60)?.['msg']).toMatch(c.reason);
      expect(lines.map((l) => l['msg'])).not.toContain('should not be here');
    });
  }

  it('without the policy, the same uncaught exception ends the process (what the gateway did before)', async () => {
    const { code } = await run(`setTimeout(() => { throw new Error('boom'); }, 10); await later(500, () => {});`);
    expect(code).not.toBe(0);
  });
});
