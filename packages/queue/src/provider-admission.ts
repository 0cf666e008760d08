import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { providerKeys } from "./keys.ts";
import { admitScript } from "./provider-admission-script.ts";

export interface ProviderLimits {
  maxInFlight: number;
  tokensPerMinute: number;
  /** A crashed worker's slot frees itself after this long; keep it above the longest LLM call. */
  leaseTtlMs?: number;
}

/**
 * Admission shared by all workers through Redis, so fifty workers do not stampede a provider into
 * 429s: at most `maxInFlight` requests at once and `tokensPerMinute` tokens (estimated up front,
 * corrected with the provider's reported usage on release).
 */
export function createProviderAdmission(redis: Redis, prefix: string, provider: string, limits: ProviderLimits) {
  const keys = providerKeys(prefix, provider);
  const ttl = limits.leaseTtlMs ?? 300_000;
  if (!(redis as unknown as Record<string, unknown>).turnqAdmit) redis.defineCommand("turnqAdmit", { numberOfKeys: 2, lua: admitScript });
  const admit = (redis as unknown as { turnqAdmit(...a: (string | number)[]): Promise<[number, number]> }).turnqAdmit.bind(redis);

  return {
    async acquire({ estimatedTokens, signal }: { estimatedTokens: number; signal?: AbortSignal | undefined }) {
      const lease = randomUUID();
      for (;;) {
        signal?.throwIfAborted();
        const [ok, waitMs] = await admit(keys.inFlight, keys.bucket, lease, ttl, limits.maxInFlight, limits.tokensPerMinute, estimatedTokens);
        if (ok === 1) break;
        // Jitter keeps waiting workers from retrying in lockstep.
        await sleep(Math.min(waitMs, 1_000) * (0.5 + Math.random()), signal);
      }
      let released = false;
      return (actualTokens: number | undefined) => {
        if (released) return;
        released = true;
        const tx = redis.multi().zrem(keys.inFlight, lease);
        if (limits.tokensPerMinute > 0 && actualTokens !== undefined) {
          tx.hincrbyfloat(keys.bucket, "tokens", estimatedTokens - actualTokens);
        }
        void tx.exec().catch(() => {});
      };
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
