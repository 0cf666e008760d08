/** One Server-Sent Event as the wire carries it. */
export interface RawSseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * An incremental parser of the text/event-stream format (WHATWG HTML, "Server-sent events"): feed
 * it decoded text as it arrives, in any pieces; it returns the events completed so far. Comments
 * (keep-alives) and unknown fields are skipped; CRLF, LF and CR all end lines.
 */
export function createSseParser(): (text: string) => RawSseEvent[] {
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];
  let hasData = false;
  let pendingCr = false;

  return (text) => {
    const out: RawSseEvent[] = [];
    // A CR at the end of the previous piece may be the first half of a CRLF.
    if (pendingCr && text.startsWith("\n")) text = text.slice(1);
    buffer += text;
    pendingCr = buffer.endsWith("\r");
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer);
      if (!m) break;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      if (line === "") {
        if (hasData || id !== undefined) out.push({ id, event: event || "message", data: data.join("\n") });
        id = undefined;
        event = "";
        data = [];
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") {
        data.push(value);
        hasData = true;
      } else if (field === "event") event = value;
      else if (field === "id" && !value.includes("\0")) id = value;
    }
    return out;
  };
}
