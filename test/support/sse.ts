import { withApiKey } from "./http.ts";

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

/**
 * Reads an SSE response until `until` says stop (or the server ends it, or `ms` passes). A real
 * HTTP client over a real socket; the parser handles events split across chunks.
 */
export async function readSse(
  url: string,
  opts: { headers?: Record<string, string>; until?: (e: SseEvent, all: SseEvent[]) => boolean; ms?: number } = {},
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.ms ?? 60_000);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: withApiKey(url, { accept: "text/event-stream", ...opts.headers }), signal: abort.signal });
    if (res.status !== 200) throw new Error(`SSE ${url}: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const e: SseEvent = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").replace(/^ /, "");
          if (field === "id") e.id = value;
          else if (field === "event") e.event = value;
          else if (field === "data") e.data += value;
        }
        if (!e.data && !e.id) continue;
        e.data = e.data ? JSON.parse(e.data) : null;
        events.push(e);
        if (opts.until?.(e, events)) return events;
      }
    }
    return events;
  } catch (err) {
    if (abort.signal.aborted) return events;
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
