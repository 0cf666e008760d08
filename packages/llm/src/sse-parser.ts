/**
 * Incremental Server-Sent Events parser shared by the OpenAI and Anthropic streams.
 * Network chunks split anywhere: mid-line, between "\r" and "\n", or inside a multi-byte UTF-8
 * character; the streaming TextDecoder holds back partial characters and the line buffer holds back
 * partial lines, so callers can push raw chunks as they arrive.
 */

export interface SseEvent {
  /** The `event:` field, or "message" when the server sent none (OpenAI never does). */
  event: string;
  /** `data:` lines joined with "\n", as the SSE spec says. */
  data: string;
}

export interface SseParser {
  push(chunk: Uint8Array | string): SseEvent[];
  /** Flushes what is left at end of stream. */
  end(): SseEvent[];
}

export function createSseParser(): SseParser {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  // A chunk that ends in "\r" may be followed by "\n" in the next chunk; that pair is one line break.
  let swallowLeadingLf = false;
  let eventName = "";
  let dataLines: string[] = [];

  function dispatch(out: SseEvent[]): void {
    if (dataLines.length > 0) out.push({ event: eventName || "message", data: dataLines.join("\n") });
    eventName = "";
    dataLines = [];
  }

  function handleLine(line: string, out: SseEvent[]): void {
    if (line === "") return dispatch(out);
    if (line.startsWith(":")) return; // comment / keep-alive ping
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") dataLines.push(value);
    else if (field === "event") eventName = value;
    // `id` and `retry` are meaningless for a single POST response; ignore them.
  }

  function feed(text: string, out: SseEvent[]): void {
    if (text.length === 0) return;
    if (swallowLeadingLf && text.startsWith("\n")) text = text.slice(1);
    swallowLeadingLf = false;
    buffer += text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      handleLine(buffer.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          swallowLeadingLf = true;
        }
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      feed(decoder.decode(), out);
      if (buffer.length > 0) handleLine(buffer, out);
      buffer = "";
      // Lenient: a server that omits the final blank line still gets its last event delivered.
      dispatch(out);
      return out;
    },
  };
}
