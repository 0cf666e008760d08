import { envFlag, envPositiveInt, type TelemetryEnv } from "./env.ts";
import { scrubSecrets } from "./scrub-secrets.ts";

/** Env flag from the GenAI instrumentation conventions; prompt/response text is opt-in. */
export const CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
export const CONTENT_MAX_BYTES_ENV = "TURNQ_OTEL_CONTENT_MAX_BYTES";
export const DEFAULT_CONTENT_MAX_BYTES = 8 * 1024;

const TRUNCATED = "…[truncated]";

export type ContentCapture = {
  /** Whether message content may be put on spans at all. */
  readonly enabled: boolean;
  readonly maxBytes: number;
  /**
   * JSON of `value`, secrets scrubbed, at most `maxBytes` UTF-8 bytes (a truncated result ends in
   * "…[truncated]" and is no longer valid JSON). Undefined when capture is off or nothing to say.
   */
  captureContent(value: unknown): string | undefined;
};

/** Reads the capture settings once from `env`; the result is a plain object to pass around. */
export function createContentCapture(env: TelemetryEnv): ContentCapture {
  const enabled = envFlag(env, CAPTURE_CONTENT_ENV);
  const maxBytes = envPositiveInt(env, CONTENT_MAX_BYTES_ENV, DEFAULT_CONTENT_MAX_BYTES);
  return {
    enabled,
    maxBytes,
    captureContent: (value) => (enabled ? serializeContent(value, maxBytes) : undefined),
  };
}

/** Scrub, serialise, cap. Exported for callers that decided on capture by other means. */
export function serializeContent(value: unknown, maxBytes: number): string | undefined {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(scrubSecrets(value));
  } catch {
    // BigInt and friends: content capture is best effort and must never fail the turn.
    return undefined;
  }
  if (json === undefined) return undefined;
  return capUtf8(json, maxBytes);
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function capUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATED, "utf8"));
  // Decoding a cut multi-byte sequence yields U+FFFD at the end; drop it rather than emit garbage.
  const head = bytes.subarray(0, room).toString("utf8").replace(/\uFFFD+$/, "");
  return head + TRUNCATED;
}
