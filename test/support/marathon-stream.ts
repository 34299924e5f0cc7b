// Marathon's event stream (`GET /v2/events`, server-sent events) collected into a list, for tests that
// check which events a change produced and in what order. Parsed by eventsource-parser, as Gatehouse
// itself reads it, so a test sees exactly the events a real client would.
import { createParser } from 'eventsource-parser';

export interface MarathonStream {
  readonly events: readonly Record<string, any>[];
  close(): void;
}

export async function followMarathonEvents(base: string, types: readonly string[] = []): Promise<MarathonStream> {
  const abort = new AbortController();
  const query = types.map((t) => `event_type=${encodeURIComponent(t)}`).join('&');
  const response = await fetch(`${base}/v2/events${query ? `?${query}` : ''}`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`/v2/events: HTTP ${response.status}`);
  const events: Record<string, any>[] = [];
  const parser = createParser({ onEvent: (message) => events.push(JSON.parse(message.data)) });
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  })().catch(() => undefined);
  return { events, close: () => abort.abort() };
}
