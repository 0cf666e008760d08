import { hashApiKey } from "@turnq/core";
import type { Caller } from "./caller.ts";

export interface ApiKeyCache {
  /** The caller the key belongs to, or undefined when it is unknown or revoked. */
  verify(key: string): Promise<Caller | undefined>;
  /** A revocation arrived (Redis pub/sub): forget the key at once. */
  revoke(keyId: string): void;
  /** Revocations may be missed (subscription down): trust a verification for `degradedTtlMs` only. */
  degrade(): void;
  /** Subscribed again: forget everything verified, since a revocation may have been missed. */
  restore(): void;
}

export interface ApiKeyCacheOptions {
  /** Reads the active key with this SHA-256 from Postgres. */
  lookup(hash: string): Promise<Caller | undefined>;
  /** How long a verified key is trusted without asking Postgres again: the net under pub/sub. */
  ttlMs?: number;
  degradedTtlMs?: number;
  /** Unknown keys are remembered briefly, so a stream of bad keys costs one lookup each per interval. */
  missTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Verified API keys in memory, so authenticating a request costs no Postgres statement and no Redis
 * command on the hot path. Revocations arrive by pub/sub and drop the key at once; a re-check after
 * `ttlMs` covers a lost message, and while the subscription is down a verification is trusted for
 * `degradedTtlMs` (1 s) only, so a revocation takes effect within a second even then. Keyed by the
 * key's SHA-256, so the cache holds no key. Both maps are bounded (oldest entries go first).
 */
export function createApiKeyCache(opts: ApiKeyCacheOptions): ApiKeyCache {
  const ttlMs = opts.ttlMs ?? 60_000;
  const degradedTtlMs = opts.degradedTtlMs ?? 1_000;
  const missTtlMs = opts.missTtlMs ?? 1_000;
  const max = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const hits = new Map<string, { caller: Caller; at: number }>();
  const misses = new Map<string, number>();
  const inFlight = new Map<string, Promise<Caller | undefined>>();
  let degraded = false;
  // Bumped by every revocation: a lookup that started before one is answered but not cached.
  let generation = 0;

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };

  return {
    async verify(key) {
      const hash = hashApiKey(key);
      const t = now();
      const hit = hits.get(hash);
      if (hit && t - hit.at < (degraded ? degradedTtlMs : ttlMs)) return hit.caller;
      const missAt = misses.get(hash);
      if (missAt !== undefined && t - missAt < missTtlMs) return undefined;
      let pending = inFlight.get(hash);
      if (!pending) {
        const started = generation;
        pending = opts.lookup(hash).then(
          (caller) => {
            inFlight.delete(hash);
            if (started !== generation) return caller;
            if (caller) {
              misses.delete(hash);
              remember(hits, hash, { caller, at: now() });
            } else {
              hits.delete(hash);
              remember(misses, hash, now());
            }
            return caller;
          },
          (err: unknown) => {
            inFlight.delete(hash);
            throw err;
          },
        );
        inFlight.set(hash, pending);
      }
      return pending;
    },
    revoke(keyId) {
      generation++;
      for (const [hash, hit] of hits) if (hit.caller.keyId === keyId) hits.delete(hash);
    },
    degrade() {
      degraded = true;
    },
    restore() {
      generation++;
      degraded = false;
      hits.clear();
    },
  };
}
