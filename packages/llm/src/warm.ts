import type { ProviderAdapter } from "./provider-adapter.ts";
import type { ProviderEndpoint } from "./dispatcher.ts";
import { startAttemptDeadlines } from "./deadlines.ts";
import { classifyTransportError } from "./http-attempt.ts";
import { httpStatusError } from "./llm-errors.ts";

/**
 * Opens `connections` keep-alive sockets by sending that many cheap requests at once: with
 * pipelining 1, each concurrent request needs its own connection. Any answer below 500 counts —
 * a 401/404 still proves the TCP/TLS connection exists, which is all warming is for.
 */
export async function warmConnections(
  endpoint: ProviderEndpoint,
  adapter: ProviderAdapter,
  apiKey: string | undefined,
  d: { connectMs: number; firstByteMs: number; idleMs: number },
): Promise<void> {
  const { method, path, headers } = adapter.warmRequest(apiKey);
  const one = async (): Promise<void> => {
    const budget = d.connectMs + d.firstByteMs;
    const dl = startAttemptDeadlines({ firstByteMs: d.firstByteMs, idleMs: d.idleMs, totalMs: budget, totalRemainingMs: budget });
    try {
      const res = await endpoint.pool.request({ path: endpoint.basePath + path, method, headers, signal: dl.signal });
      // Reading the body to the end is what returns the socket to the pool for reuse.
      for await (const _ of res.body) dl.gotChunk();
      if (res.statusCode >= 500) throw httpStatusError(res.statusCode, undefined, undefined);
    } catch (err) {
      throw classifyTransportError(dl.explain(err), endpoint.origin, d.connectMs);
    } finally {
      dl.dispose();
    }
  };
  await Promise.all(Array.from({ length: endpoint.connections }, one));
}
