// How a stop is asked for: the first signal stops cleanly; a repeat within a second is the same keypress
// (Ctrl-C reaches npm and Gatehouse both, and npm forwards its copy); a later SIGINT/SIGTERM forces an exit;
// a hang-up during the stop (the terminal closing after npm exits) never cuts the clean stop short.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../../dist/cli/stop-signal.js', import.meta.url));

// A process that stops like `gatehouse run`: waits for the stop reason, then "cleans up" for 2.5 s.
// With ECHO_AT_SWAP, it sends itself a second SIGTERM at the moment the stop's own signal listeners are
// taken away: what a signal to `npm start`'s process group does when npm forwards its copy right then.
// Node gives a signal back its default action (the process ends, nothing cleaned up) while it has no
// listener; the copy must find one.
const PROGRAM = `
const { untilStopSignal } = await import(${JSON.stringify(MODULE)});
if (process.env.ECHO_AT_SWAP) {
  let echoed = false;
  process.on('removeListener', (type) => {
    if (type !== 'SIGTERM' || echoed) return;
    echoed = true;
    process.kill(process.pid, 'SIGTERM');
  });
}
setInterval(() => undefined, 60_000); // a server's open handles keep it alive; signal listeners do not
const stopped = untilStopSignal({ watchParent: false });
process.stdout.write('ready\\n');
process.stdout.write('stopping ' + (await stopped) + '\\n');
setTimeout(() => { process.stdout.write('clean\\n'); process.exit(0); }, 2500);
`;

interface Case {
  readonly name: string;
  readonly signals: readonly { readonly signal: NodeJS.Signals; readonly afterMs: number }[];
  readonly want: { readonly code: number | null; readonly clean: boolean };
  readonly echoAtSwap?: boolean;
}

const cases: Case[] = [
  { name: 'one SIGTERM: a clean stop', signals: [{ signal: 'SIGTERM', afterMs: 0 }], want: { code: 0, clean: true } },
  {
    name: 'SIGINT twice within a second (one Ctrl-C under npm): a clean stop',
    signals: [
      { signal: 'SIGINT', afterMs: 0 },
      { signal: 'SIGINT', afterMs: 100 },
    ],
    want: { code: 0, clean: true },
  },
  {
    name: 'SIGTERM, and its copy as the stop takes over the signals (a group signal npm forwards): a clean stop',
    signals: [{ signal: 'SIGTERM', afterMs: 0 }],
    echoAtSwap: true,
    want: { code: 0, clean: true },
  },
  {
    name: 'SIGINT, then SIGINT again after a second: forced, exit 2',
    signals: [
      { signal: 'SIGINT', afterMs: 0 },
      { signal: 'SIGINT', afterMs: 1300 },
    ],
    want: { code: 2, clean: false },
  },
  {
    name: 'SIGINT, then SIGHUP after a second (the terminal closes): still a clean stop',
    signals: [
      { signal: 'SIGINT', afterMs: 0 },
      { signal: 'SIGHUP', afterMs: 1300 },
    ],
    want: { code: 0, clean: true },
  },
];

// The cases run at once: each is its own process, and most of a case is waiting on its timers.
describe('stop signals', () => {
  it.concurrent.each(cases)('$name', async ({ signals, want, echoAtSwap }) => {
    const env = { ...process.env, ...(echoAtSwap ? { ECHO_AT_SWAP: '1' } : {}) };
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROGRAM], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let output = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await ready;
    const started = Date.now();
    for (const { signal, afterMs } of signals) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + afterMs - Date.now())));
      child.kill(signal);
    }
    expect(await exited).toBe(want.code);
    expect(output.includes('clean')).toBe(want.clean);
  }, 15_000);
});
