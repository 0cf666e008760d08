/** One Server-Sent Event: its id (the resume point), its name and its parsed JSON data. */
export interface StreamEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads an SSE stream with fetch (EventSource cannot send an Authorization header) and reconnects
 * after a drop with `Last-Event-ID`, so the server resumes right after the last event seen: no gap,
 * no repeat. Ends when `signal` aborts or the server refuses the request. Reconnects back off from
 * 0.5 s to 5 s.
 */
export async function openEventStream(opts: {
  url: URL;
  headers: Record<string, string>;
  onEvent: (e: StreamEvent) => void;
  signal: AbortSignal;
  onState?: (state: "open" | "reconnecting") => void;
  /** A 4xx other than 408/429: trying again would get the same answer, so the stream ends. */
  onRefused?: (status: number) => void;
}): Promise<void> {
  let lastId: string | undefined;
  let delay = 500;
  while (!opts.signal.aborted) {
    try {
      const res = await fetch(opts.url, {
        headers: { ...opts.headers, accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) },
        signal: opts.signal,
        credentials: "omit",
        cache: "no-store",
      });
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        opts.onRefused?.(res.status);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      opts.onState?.("open");
      delay = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
          const e = parseBlock(block);
          if (e?.id) lastId = e.id;
          if (e) opts.onEvent(e);
        }
      }
    } catch {
      if (opts.signal.aborted) return;
    }
    opts.onState?.("reconnecting");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}

function parseBlock(block: string): StreamEvent | undefined {
  let id: string | undefined;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { id, event, data: JSON.parse(data.join("\n")) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
