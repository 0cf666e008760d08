import { buildConnector, Pool } from "undici";
import { timeoutError } from "./llm-errors.ts";

/**
 * One keep-alive pool per client, bound to the provider's origin. Reusing warm connections is the
 * point: a fresh TLS handshake per call costs more than many short completions take to stream.
 */

export interface ProviderEndpoint {
  pool: Pool;
  /** scheme://host:port — never includes userinfo, so it is safe in error messages. */
  origin: string;
  /** The base URL's path without a trailing slash, e.g. "/v1". */
  basePath: string;
  connections: number;
}

export const KEEP_ALIVE_MS = 60_000;

export function createEndpoint(baseUrl: string, o: { connections: number; connectMs: number }): ProviderEndpoint {
  const url = new URL(baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`LLM baseUrl must start with http:// or https://, got ${url.protocol}; set LLM_BASE_URL to e.g. https://api.openai.com/v1`);
  }
  const pool = new Pool(url.origin, {
    connections: o.connections,
    // One request per connection at a time: a slow stream must never hold up another turn's request.
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: 10 * KEEP_ALIVE_MS,
    connect: connectWithin(buildConnector({ timeout: o.connectMs }), o.connectMs),
    // Header and body timing is enforced by our own named deadlines (deadlines.ts); undici's coarse
    // 300 s defaults would only ever fire after ours, with less useful errors.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return { pool, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ""), connections: o.connections };
}

/**
 * undici's connector under a timer of our own: a connection not established within `ms` fails the
 * requests waiting for it with our `connect` timeout, whatever undici's own timer does. A socket that
 * connects after we gave up is closed at once.
 */
export function connectWithin(inner: buildConnector.connector, ms: number): buildConnector.connector {
  return (options, callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(timeoutError("connect", ms), null);
    }, ms);
    inner(options, (...args) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        return callback(...args);
      }
      args[1]?.destroy();
    });
  };
}
