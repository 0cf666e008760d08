import { createSecretScrubber, headerValueProblem, linkedSignal, raceAbort, TurnqError } from "@turnq/core";
import type { ChatRequest, ChatResult, LlmClient, LlmClientOptions } from "./types.ts";
import type { ProviderAdapter } from "./provider-adapter.ts";
import { resolveConfig } from "./client-config.ts";
import { createEndpoint, KEEP_ALIVE_MS } from "./dispatcher.ts";
import { createCircuitBreaker } from "./circuit-breaker.ts";
import { runAttempt } from "./http-attempt.ts";
import { decideRetry } from "./retry.ts";
import { isRetryableAttemptError, scrubError, timeoutError } from "./llm-errors.ts";
import { warmConnections } from "./warm.ts";
import { openAiAdapter } from "./openai-adapter.ts";
import { anthropicAdapter } from "./anthropic-adapter.ts";

/** version-traceid-parentid-flags, lower-case hex (W3C Trace Context). */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const cfg = resolveConfig(opts);
  // undici refuses such a header at dispatch, and each refusal leaves a pool slot unusable for good.
  const keyProblem = opts.apiKey === undefined ? undefined : headerValueProblem(opts.apiKey);
  if (keyProblem) throw new TypeError(`The LLM API key cannot be sent in an HTTP header: ${keyProblem}. Set LLM_API_KEY to the key itself.`);
  const adapter: ProviderAdapter = opts.provider === "anthropic" ? anthropicAdapter : openAiAdapter;
  const endpoint = createEndpoint(opts.baseUrl, { connections: cfg.connections, connectMs: cfg.deadlines.connectMs });
  const breaker = createCircuitBreaker({ ...cfg.breaker, clock: cfg.clock });
  // Tenant keys, once there are any, are added to this scrubber as the client learns them.
  const secrets = createSecretScrubber([opts.apiKey]);
  let warmed = false;
  let closed = false;
  let refreshTimer: NodeJS.Timeout | undefined;

  async function chatWithRetries(req: ChatRequest, startedAt: number): Promise<ChatResult> {
    const stream = req.stream ?? true;
    const spec = adapter.buildChatRequest(req, stream, opts.apiKey);
    if (req.traceparent !== undefined && TRACEPARENT.test(req.traceparent)) spec.headers["traceparent"] = req.traceparent;
    const { totalMs } = cfg.deadlines;
    let partialShown = false;
    const onText = (text: string) => {
      if (!req.onDelta) return;
      partialShown = true;
      req.onDelta(text);
    };
    cfg.observer.onAttempt?.({ attempt: 1, delayMs: 0 });
    for (let attempt = 1; ; attempt++) {
      const totalRemainingMs = totalMs - (cfg.clock() - startedAt);
      if (totalRemainingMs <= 0) throw timeoutError("total", totalMs);
      try {
        const release = await opts.admission?.acquire({ estimatedTokens: estimateTokens(req), signal: req.signal });
        let out: Awaited<ReturnType<typeof runAttempt>>;
        try {
          out = await runAttempt({
            endpoint, adapter, spec, stream, deadlines: cfg.deadlines, totalRemainingMs, signal: req.signal, clock: cfg.clock, onText,
            scrub: secrets.scrub,
          });
        } catch (err) {
          release?.(undefined);
          throw err;
        }
        release?.(out.response.usage.inputTokens + out.response.usage.outputTokens);
        return {
          ...out.response,
          // Some compatible servers omit `model`; the requested name is the best remaining answer.
          model: out.response.model || req.model,
          attempts: attempt,
          timeToFirstChunkMs: out.timeToFirstChunkMs,
          durationMs: cfg.clock() - startedAt,
        };
      } catch (err) {
        if (req.signal?.aborted || !(err instanceof TurnqError)) throw err;
        const elapsedMs = cfg.clock() - startedAt;
        const decision = decideRetry(
          { error: err, attempts: attempt, elapsedMs, totalRemainingMs: totalMs - elapsedMs, partialShown: partialShown && !req.discardPartialOnRetry },
          cfg.retry,
          cfg.random,
        );
        if (!decision.retry) throw withAttempts(err, attempt);
        cfg.observer.onAttempt?.({ attempt: attempt + 1, delayMs: decision.delayMs, error: scrubError(err, secrets) as TurnqError });
        await cfg.sleep(decision.delayMs, req.signal);
        partialShown = false;
      }
    }
  }

  async function chat(req: ChatRequest): Promise<ChatResult> {
    req.signal?.throwIfAborted();
    if (closed) throw new TurnqError("llm_unavailable", "LLM client is closed (worker shutting down); the turn will be retried elsewhere");
    const admitted = breaker.acquire();
    if (!admitted.ok) {
      cfg.observer.onBreakerReject?.();
      throw new TurnqError(
        "llm_unavailable",
        `LLM provider circuit breaker is open after repeated failures; failing fast, retry in ${admitted.retryAfterMs} ms`,
        { retryAfterMs: admitted.retryAfterMs, details: { breaker: "open" } },
      );
    }
    const startedAt = cfg.clock();
    // The whole call under a timer of our own, whatever waits inside it (admission, backoff, undici).
    const total = linkedSignal([req.signal], { ms: cfg.deadlines.totalMs, reason: () => timeoutError("total", cfg.deadlines.totalMs) });
    const { signal } = total;
    try {
      const result = await raceAbort(chatWithRetries({ ...req, signal }, startedAt), signal);
      breaker.onSuccess();
      return result;
    } catch (err) {
      if (req.signal?.aborted || !(err instanceof TurnqError)) {
        breaker.onNeutral(admitted.trial);
        throw scrubError(err, secrets);
      }
      // A 4xx proves the provider is up; only outages (after retries) count toward opening.
      if (isRetryableAttemptError(err) || err.code === "llm_timeout") breaker.onFailure();
      else breaker.onSuccess();
      throw scrubError(err, secrets);
    } finally {
      total.dispose();
    }
  }

  const warmOnce = () => warmConnections(endpoint, adapter, opts.apiKey, cfg.warm, cfg.deadlines.connectMs);

  async function warm(): Promise<void> {
    try {
      await warmOnce();
    } catch (err) {
      throw scrubError(err, secrets);
    }
    warmed = true;
    // Servers drop idle keep-alive sockets; topping the pool up keeps "warm" true between bursts.
    refreshTimer ??= setInterval(() => {
      if (!closed && endpoint.pool.stats.connected < cfg.warm.connections) void warmOnce().catch(() => {});
    }, KEEP_ALIVE_MS / 2).unref();
  }

  return {
    provider: adapter.name,
    chat,
    warm,
    status: () => ({ breaker: breaker.state(), connectionsWarm: warmed && endpoint.pool.stats.connected > 0 }),
    async close() {
      closed = true;
      clearInterval(refreshTimer);
      // Destroy, not close: close() waits for every queued request, and one that undici never
      // settles (see deadlines.ts) would hold shutdown forever. Turns are over by now.
      if (!endpoint.pool.destroyed) await endpoint.pool.destroy();
    },
  };
}

/**
 * A quick upper-ish estimate for admission only (the window itself is budgeted with the real
 * tokenizer): the release reports the provider's real count, which corrects the shared bucket.
 */
function estimateTokens(req: ChatRequest): number {
  let chars = 0;
  for (const m of req.messages) chars += (m.content?.length ?? 0) + (m.toolCalls?.reduce((n, c) => n + c.arguments.length, 0) ?? 0);
  return Math.ceil(chars / 3) + (req.maxOutputTokens ?? 512);
}

function withAttempts(err: TurnqError, attempts: number): TurnqError {
  if (attempts === 1) return err;
  return new TurnqError(err.code, err.message, {
    details: { ...err.details, attempts },
    cause: err.cause,
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
  });
}
