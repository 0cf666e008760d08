import type { ProviderAdapter } from "./provider-adapter.ts";
import type { ProviderEndpoint } from "./dispatcher.ts";
import { startAttemptDeadlines } from "./deadlines.ts";
import { classifyTransportError } from "./http-attempt.ts";
import { httpStatusError } from "./llm-errors.ts";

/**
 * Opens `warm.connections` keep-alive sockets by sending that many cheap requests at once: with
 * pipelining 1, each concurrent request needs its own connection. Any answer below 500 counts —
 * a 401/404 still proves the TCP/TLS connection exists, which is all warming is for. Each request
 * lives under the same deadlines as a chat attempt (all of `warm.timeoutMs`), so a provider that is
 * unreachable or stalls costs a few sockets for a few seconds, and never a turn's time.
 */
export async function warmConnections(
  endpoint: ProviderEndpoint,
  adapter: ProviderAdapter,
  apiKey: string | undefined,
  warm: { connections: number; timeoutMs: number },
  connectMs: number,
): Promise<void> {
  const { method, path, headers } = adapter.warmRequest(apiKey);
  const ms = warm.timeoutMs;
  const one = async (): Promise<void> => {
    const dl = startAttemptDeadlines({ firstByteMs: ms, idleMs: ms, totalMs: ms, totalRemainingMs: ms });
    try {
      const pending = endpoint.pool.request({ path: endpoint.basePath + path, method, headers, signal: dl.signal });
      pending.then((late) => dl.signal.aborted && late.body.destroy(), () => {});
      const res = await dl.settle(pending);
      // Reading the body to the end is what returns the socket to the pool for reuse.
      await dl.read(res.body, () => {});
      if (res.statusCode >= 500) throw httpStatusError(res.statusCode, undefined, undefined);
    } catch (err) {
      throw classifyTransportError(dl.explain(err), endpoint.origin, connectMs);
    } finally {
      dl.dispose();
    }
  };
  await Promise.all(Array.from({ length: warm.connections }, one));
}
