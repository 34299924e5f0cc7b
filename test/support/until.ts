// Polls a probe until its value is acceptable, for effects that follow asynchronously (reloads,
// scaling, restarts). When time runs out it throws, naming the last value seen: a condition that
// never held must fail the test here, not leave an assertion after it checking something weaker.
import { inspect } from 'node:util';

export class UntilTimeout extends Error {
  constructor(readonly last: unknown, timeoutMs: number) {
    super(`condition not met within ${timeoutMs} ms; last value: ${inspect(last, { depth: 4, breakLength: 120 }).slice(0, 2000)}`);
  }
}

export async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new UntilTimeout(value, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
