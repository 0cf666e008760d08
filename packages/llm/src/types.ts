import type { TurnqError } from "@turnq/core";

export type ChatRole = "system" | "user" | "assistant" | "tool";

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, exactly as the model produced it (it may be invalid JSON; the caller validates). */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: string | null;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxOutputTokens?: number;
  /** Default true. */
  stream?: boolean;
  /** The caller's cancel (turn cancelled / worker shutting down): aborts at once with the signal's reason. */
  signal?: AbortSignal;
  /** Streamed text as it arrives. */
  onDelta?: (text: string) => void;
  /** Set when deltas were already shown to a client: then a failure after the first delta is NOT retried
   *  (unless discardPartialOnRetry is true, meaning the caller will discard what it showed). */
  discardPartialOnRetry?: boolean;
  /**
   * A W3C `traceparent` sent with every HTTP attempt of the call, so a provider or gateway that traces
   * (vLLM, an OTel-instrumented proxy) joins the caller's trace. Dropped unless well-formed.
   */
  traceparent?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export type FinishReason = "stop" | "tool_calls" | "length" | "content_filter" | "other";

export interface ChatResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model name as the provider reported it (may differ from the requested alias). */
  model: string;
  attempts: number;
  /** Time from the start of the successful attempt to its first body chunk; undefined when not streamed. */
  timeToFirstChunkMs: number | undefined;
  /** Whole chat() call, including retries and backoff. */
  durationMs: number;
}

export type ProviderName = "openai" | "anthropic";
export type BreakerState = "closed" | "open" | "half_open";

export interface LlmClient {
  /** gen_ai.provider.name-ish; OpenAI-compatible servers are "openai". */
  readonly provider: ProviderName;
  chat(req: ChatRequest): Promise<ChatResult>;
  /**
   * Opens a few keep-alive connections (`warm.connections`) so the first turns pay no handshake.
   * Resolves when warm, or rejects with a TurnqError within `warm.timeoutMs`; either way the client
   * stays usable. Meant to run in the background: nothing needs to wait for it.
   */
  warm(): Promise<void>;
  status(): { breaker: BreakerState; connectionsWarm: boolean };
  close(): Promise<void>;
}

export interface DeadlineOptions {
  connectMs?: number;
  firstByteMs?: number;
  idleMs?: number;
  totalMs?: number;
}

export interface RetryOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxTotalMs?: number;
}

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface LlmObserver {
  onAttempt?(i: { attempt: number; delayMs: number; error?: TurnqError }): void;
  onBreakerReject?(): void;
}

export interface LlmClientOptions {
  provider: ProviderName;
  /** OpenAI-compatible base incl. /v1 (e.g. http://127.0.0.1:8787/v1) or Anthropic base (https://api.anthropic.com/v1). */
  baseUrl: string;
  /** Sent as a header: it must be printable ASCII (createLlmClient throws a TypeError otherwise). */
  apiKey?: string;
  /** Default 16 keep-alive connections. */
  pool?: { connections: number };
  /** warm(): default min(pool, 4) connections, given 5_000 ms in all. */
  warm?: { connections?: number; timeoutMs?: number };
  /** Defaults 5_000 / 30_000 / 30_000 / 120_000. */
  deadlines?: DeadlineOptions;
  /** Defaults 4 / 250 / 10_000 / 60_000. */
  retry?: RetryOptions;
  /** Defaults 5 consecutive failures / 10_000 ms. */
  breaker?: BreakerOptions;
  /** Milliseconds, monotonic (default performance.now): durations, retry budget, breaker window. */
  clock?: () => number;
  /** [0, 1): backoff jitter (default Math.random). */
  random?: () => number;
  sleep?: Sleep;
  /** Called on each attempt/retry/breaker rejection so tracing can record it (the telemetry package is separate). */
  observer?: LlmObserver;
  /** Fleet-wide limits on requests in flight and tokens per minute; none when omitted. */
  admission?: Admission;
}

/**
 * Fleet-wide admission to the provider, shared by every worker (implemented over Redis in
 * @turnq/queue). Asked before each attempt; the returned release is called when the attempt ends
 * with the tokens it really used, so estimates never drift.
 */
export interface Admission {
  acquire(req: { estimatedTokens: number; signal?: AbortSignal | undefined }): Promise<(actualTokens: number | undefined) => void>;
}
