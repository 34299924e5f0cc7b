// Polls a probe until its value is acceptable or time runs out, then returns the last value, so the
// assertion after it shows what was really seen. For effects that follow asynchronously (reloads).
export async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
