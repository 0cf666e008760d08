import { isTurnqError, TurnqError } from "@turnq/core";
import type { MiddlewareHandler } from "hono";
import { assertStorableJson } from "../json-guard.ts";
import { header, nodeOf } from "../node-request.ts";

/**
 * Accepts only `application/json` bodies up to `maxBytes`, counting the bytes actually read (a
 * missing or lying Content-Length does not get past it), and stores the parsed value as `body`
 * once it is known to be shallow enough for the schemas and storable by Postgres (json-guard.ts).
 */
export function jsonBody(maxBytes: number): MiddlewareHandler<{ Variables: { body: unknown } }> {
  return async (c, next) => {
    const type = header(c, "content-type") ?? "";
    if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
      throw new TurnqError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
    }
    const declared = Number(header(c, "content-length") ?? "0");
    if (declared > maxBytes) throw tooLarge(maxBytes);
    // Served by Node, read the request stream itself: cheaper than the web stream wrapped around it.
    const incoming = nodeOf(c).incoming;
    const bytes = await readCapped(incoming ?? c.req.raw.body, maxBytes).catch((err: unknown) => {
      if (isTurnqError(err)) throw err;
      throw new TurnqError("invalid_request", "The body could not be read to its end (connection cut or malformed chunked encoding); send it again.");
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw new TurnqError("invalid_json", "The body is not valid UTF-8 JSON; check quoting and escapes.");
    }
    assertStorableJson(parsed);
    c.set("body", parsed);
    await next();
  };
}

async function readCapped(stream: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): TurnqError {
  return new TurnqError("payload_too_large", `The body is larger than ${maxBytes} bytes; send less.`, {
    details: { limitBytes: maxBytes },
  });
}
