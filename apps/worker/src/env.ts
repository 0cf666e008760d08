import { DEFAULT_SYSTEM_PROMPT, encryptionKeysEnv, headerValueEnv, httpUrlEnv, parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";
import { llmPricesSchema } from "./agent/llm-prices.ts";
import { defaultRetryScheduleMs, parseRetrySchedule } from "./webhooks/retry-schedule.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The worker's whole configuration. The only module of the worker that reads process.env. */
export const workerEnvSchema = z.object({
  ...sharedEnv,
  WORKER_CONCURRENCY: int(1, 5_000).default(200),
  /** Opens agents' sealed HTTP tool headers; the same list the API seals with (README, Tenants and keys). */
  TURNQ_ENCRYPTION_KEY: encryptionKeysEnv.optional(),
  LLM_PROVIDER: z.enum(["openai", "anthropic"]).default("openai"),
  LLM_BASE_URL: httpUrlEnv(
    "LLM_BASE_URL",
    "https://api.openai.com/v1 (an OpenAI-compatible base URL; npm run dev starts a simulator when it is unset)",
  ),
  LLM_API_KEY: headerValueEnv("LLM_API_KEY", "Paste the provider's key itself (printable ASCII, no quotes or line breaks), or leave it unset.").optional(),
  LLM_MODEL: z.string().min(1).default("turnq-sim"),
  /** Attempts per LLM call inside the client (network errors, 429, 5xx); default 4. 1 = no in-call retry. */
  LLM_MAX_ATTEMPTS: int(1, 20).optional(),
  /** JSON: USD per million tokens per model, for each turn's cost; see agent/llm-prices.ts. */
  LLM_PRICES: z
    .string()
    .default("{}")
    .transform((raw, ctx) => {
      try {
        return llmPricesSchema.parse(JSON.parse(raw));
      } catch {
        ctx.addIssue({ code: "custom", message: 'LLM_PRICES must be JSON like {"gpt-4o-mini":{"input":0.15,"output":0.6}}' });
        return z.NEVER;
      }
    }),
  /** Consecutive failed LLM calls (after retries) that open the circuit breaker; default 5. */
  LLM_BREAKER_FAILURES: int(1, 1_000).optional(),
  /** How long the breaker stays open before one trial call; default 10 s. */
  LLM_BREAKER_OPEN_MS: int(100, 3_600_000).optional(),
  /** Serve Prometheus metrics on this port (GET /metrics); unset = no metrics server. */
  METRICS_PORT: int(0, 65_535).optional(),
  METRICS_HOST: z.string().default("127.0.0.1"),
  /** Opt-in prompt/completion capture on chat spans (OpenTelemetry GenAI convention), scrubbed and capped. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: z.string().optional(),
  TURNQ_OTEL_CONTENT_MAX_BYTES: z.string().optional(),
  /** Fleet-wide cap on LLM requests in flight, shared by all workers through Redis (0 = none). */
  LLM_MAX_IN_FLIGHT: int(0, 100_000).default(0),
  /** Fleet-wide tokens per minute for the provider (0 = none). */
  LLM_TOKENS_PER_MINUTE: int(0, 1_000_000_000).default(0),
  /** Keep-alive connections to the LLM; each streaming call holds one. Default: WORKER_CONCURRENCY. */
  LLM_POOL_CONNECTIONS: int(1, 5_000).optional(),
  /**
   * Deadlines of each LLM call, each held by a timer of the worker's own (see packages/llm/src/deadlines.ts):
   * opening a connection, the first byte of the answer, the longest gap between streamed chunks,
   * and the whole call with its retries. Defaults (the client's): 5 s, 30 s, 30 s, 120 s.
   */
  LLM_CONNECT_TIMEOUT_MS: int(100, 600_000).optional(),
  LLM_FIRST_BYTE_TIMEOUT_MS: int(100, 3_600_000).optional(),
  LLM_IDLE_TIMEOUT_MS: int(100, 3_600_000).optional(),
  LLM_CALL_TIMEOUT_MS: int(100, 3_600_000).optional(),
  /** Connections warmed at start-up, in the background (default: the pool size, at most 4), within 5 s. */
  LLM_WARM_CONNECTIONS: int(1, 5_000).optional(),
  LLM_WARM_TIMEOUT_MS: int(100, 600_000).optional(),
  SYSTEM_PROMPT: z.string().default(DEFAULT_SYSTEM_PROMPT),
  /**
   * Most history messages a window considers (and the per-session bound of the worker's context
   * cache); the window is then fitted to the model's token budget. Bounded whatever the history length.
   */
  CONTEXT_WINDOW_MESSAGES: int(2, 10_000).default(200),
  /** Sessions whose recent history a worker keeps in memory (least recently used leave first). */
  CONTEXT_CACHE_SESSIONS: int(1, 1_000_000).default(2_000),
  /** Share of the prompt budget at which older history is summarised into a log entry. */
  COMPACTION_THRESHOLD: z.coerce.number().min(0.1).max(1).default(0.75),
  /**
   * Share of that threshold from which the next summary is written in the background, so the turn
   * that reaches the threshold appends it instead of waiting for the summary call (summary-ahead.ts).
   * 1 turns it off.
   */
  COMPACTION_AHEAD: z.coerce.number().min(0.5).max(1).default(0.85),
  /** Attempts of a turn that end in a recorded (retryable) error before it fails with turn_attempts_exhausted. */
  TURN_MAX_ATTEMPTS: int(1, 100).default(3),
  /**
   * Runs of a turn that workers died in (it was found abandoned mid-run) before it fails as a poison
   * turn. Counted apart from attempts, so a turn merely in flight when workers die keeps its attempts.
   */
  TURN_MAX_CRASHES: int(1, 1_000).default(10),
  /** Turns a drain job runs before it yields the session back to the tail of the queue. */
  TURNS_PER_SLICE: int(1, 1_000).default(4),
  /**
   * A drain job's BullMQ lock, renewed every half of it. It only decides for a worker that is alive
   * but unresponsive (event loop blocked, or a host cut off from Redis): long, so a busy worker
   * keeps its sessions. A dead process is found by the dead-worker sweep instead.
   */
  LOCK_DURATION_MS: int(1_000, 600_000).default(30_000),
  /** BullMQ's stalled check, which moves jobs without a lock back to wait. */
  STALLED_INTERVAL_MS: int(200, 600_000).default(500),
  /**
   * How often this worker looks for lock holders whose process is gone (their presence connection
   * closed) and releases their drain jobs; a holder must be missing for one interval. 0 = off
   * (recovery then waits for LOCK_DURATION_MS).
   */
  DEAD_WORKER_SWEEP_MS: int(0, 600_000).default(500),
  RECONCILE_INTERVAL_MS: int(200, 600_000).default(5_000),
  /** Turns younger than this are left to the API that accepted them. */
  RECONCILE_MIN_AGE_MS: int(0, 600_000).default(2_000),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(15_000),
  /** Let agents' HTTP tools reach private and loopback addresses (off: they are refused, like http_get). */
  HTTP_TOOLS_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** Webhook deliveries this worker sends at once, apart from WORKER_CONCURRENCY (turns). */
  WEBHOOK_CONCURRENCY: int(1, 1_000).default(50),
  /** Each delivery attempt, connection to last byte, ends within this. */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  /** Delays after each failed attempt, comma-separated ms; default the Standard Webhooks schedule (about a day). */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .default(defaultRetryScheduleMs.join(","))
    .transform((raw, ctx) => parseRetrySchedule(raw) ?? (ctx.addIssue({ code: "custom", message: "WEBHOOK_RETRY_SCHEDULE_MS must be delays in ms separated by commas, e.g. 5000,300000,1800000" }), z.NEVER)),
  /** Failed attempts in a row to one endpoint that open its circuit breaker, and how long it stays open. */
  WEBHOOK_BREAKER_FAILURES: int(1, 1_000).default(5),
  WEBHOOK_BREAKER_OPEN_MS: int(100, 86_400_000).default(60_000),
  /** Pending deliveries this overdue lost their job (Redis restarted…) and are enqueued again by the reconciler. */
  WEBHOOK_RECONCILE_AGE_MS: int(1_000, 86_400_000).default(60_000),
  /** Let webhook deliveries reach private and loopback addresses (off: refused, like http_get). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  return parseEnv(workerEnvSchema, source);
}
