import type { Dispatcher } from "undici";

/** Raised when a response body is larger than the caller is willing to hold in memory. */
export class ResponseTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`response body is larger than the ${maxBytes}-byte limit; refused`);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * Reads a response body up to `maxBytes`, and stops reading (destroying the stream, which closes the
 * connection) as soon as it is exceeded, so a huge or endless body costs at most `maxBytes` of memory.
 */
export async function readBodyCapped(body: Dispatcher.ResponseData["body"], headers: Dispatcher.ResponseData["headers"], maxBytes: number): Promise<Buffer> {
  // Destroying the body early makes it emit an abort error; with nobody left reading, that would
  // surface as an unhandled error. The refusal below is the error we report.
  const refuse = (): never => {
    body.on("error", () => {});
    body.destroy();
    throw new ResponseTooLargeError(maxBytes);
  };
  const declared = Number(headerValue(headers, "content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) refuse();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) refuse();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function headerValue(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
