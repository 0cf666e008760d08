import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `bytes` as they are on a fresh TCP connection (for requests no HTTP client would send) and
 * reads the answer until the server closes, or `ms` passes. Parses one HTTP/1.1 response.
 */
export function rawRequest(baseUrl: string, bytes: Buffer | string, ms = 15_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${ms} ms; got: ${Buffer.concat(chunks).toString("latin1").slice(0, 300)}`));
    }, ms);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {}); // a reset after the answer is fine; an answer missing is caught below
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const head = text.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m || head < 0) return reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 300))}`));
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, head).split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const raw = text.slice(head + 4);
      resolve({ status: Number(m[1]), headers, body: headers["transfer-encoding"] === "chunked" ? dechunk(raw) : raw });
    });
    socket.write(bytes);
  });
}

/** The payload of a chunked body (sizes in hex, each chunk followed by CRLF, a 0 chunk last). */
function dechunk(raw: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    const size = eol < 0 ? 0 : Number.parseInt(raw.slice(at, eol), 16);
    if (!size) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** The raw request with an Authorization header after its request line (its framing is left as it was). */
export function withRawApiKey(request: string, key: string): string {
  const eol = request.indexOf("\r\n");
  return eol < 0 ? request : `${request.slice(0, eol)}\r\nAuthorization: Bearer ${key}${request.slice(eol)}`;
}
