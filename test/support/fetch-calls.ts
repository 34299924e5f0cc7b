// Records the URLs the global fetch is called with while `during` runs (the test's own calls too), so
// that a test can say a module reached a server over node:http and never through fetch: on Node 20
// fetch's first call loads Node's internal undici and compiles llhttp's WebAssembly in that process.
export async function fetchCallsDuring(during: () => Promise<unknown>): Promise<string[]> {
  const original = globalThis.fetch;
  const urls: string[] = [];
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return original(input, init);
  }) as typeof fetch;
  try {
    await during();
  } finally {
    globalThis.fetch = original;
  }
  return urls;
}
