import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";

/**
 * Request headers and the client's disconnect, read from the Node request under Hono. Served by
 * Node, @hono/node-server hands Hono a lightweight request and builds the WHATWG objects on first
 * use: a Headers (every header copied) for `c.req.header()`, and for `c.req.raw.signal` a whole
 * undici Request with a web stream over the body. The hot routes read what they need from
 * `c.env.incoming` / `c.env.outgoing` instead. Served otherwise (`app.request` in tests), the web
 * request answers.
 */
export function nodeOf(c: Context): { incoming?: IncomingMessage; outgoing?: ServerResponse } {
  return (c.env ?? {}) as { incoming?: IncomingMessage; outgoing?: ServerResponse };
}

/** A request header by its lower-case name, as Headers.get reads it: repeated ones joined with ", ". */
export function header(c: Context, name: string): string | undefined {
  const raw = nodeOf(c).incoming?.rawHeaders;
  if (!raw) return c.req.header(name);
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}

/** The request's header names, lower-case (for trace context propagation). */
export function headerNames(c: Context): string[] {
  const raw = nodeOf(c).incoming?.rawHeaders;
  if (!raw) return [...c.req.raw.headers.keys()];
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) names.push(raw[i]!.toLowerCase());
  return names;
}

/** Aborted when the client goes away before its answer is complete (a long wait stops there). */
export function clientGone(c: Context): AbortSignal {
  const outgoing = nodeOf(c).outgoing;
  if (!outgoing) return c.req.raw.signal;
  const gone = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) gone.abort(new DOMException("The client closed the connection.", "AbortError"));
  });
  return gone.signal;
}
