import { countTokens, encodingForModel, MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, type ChatMessage } from "@turnq/llm";
import { toChatMessage, type LogEntry } from "./summary-entry.ts";

/**
 * Token arithmetic for windows. A prompt's count is the sum of its messages' counts plus the reply
 * priming (that is how countTokens is defined), so each message is counted once and the window is
 * fitted by addition instead of re-tokenising candidate prompts.
 */

export const CALIBRATION_MIN = 0.5;
export const CALIBRATION_MAX = 2;

// Cached rows are the same objects turn after turn, so their counts are tokenised once per encoding.
const rowCounts = new WeakMap<object, Map<string, number>>();

export function messageTokens(message: ChatMessage, model: string): number {
  return countTokens([message], model) - REPLY_PRIMING_TOKENS;
}

export function entryTokens(entry: LogEntry, model: string): number {
  const encoding = encodingForModel(model);
  let byEncoding = rowCounts.get(entry);
  if (!byEncoding) {
    byEncoding = new Map();
    rowCounts.set(entry, byEncoding);
  }
  let n = byEncoding.get(encoding);
  if (n === undefined) {
    n = messageTokens(toChatMessage(entry), model);
    byEncoding.set(encoding, n);
  }
  return n;
}

/**
 * At least messageTokens(message, any model), without tokenising: a BPE token is at least one byte
 * of UTF-8, so a text never has more tokens than bytes. Cheap enough to take for every message; a
 * window that fits by these bounds fits by the real counts, which then are only needed on demand,
 * and a worker whose windows always fit never loads a tokenizer (o200k_base: +21 MB of heap, +61 MB
 * of RSS measured here).
 */
export function messageTokensBound(message: ChatMessage): number {
  let n = MESSAGE_OVERHEAD_TOKENS + Buffer.byteLength(message.role) + Buffer.byteLength(message.content ?? "");
  if (message.toolCallId) n += Buffer.byteLength(message.toolCallId);
  for (const c of message.toolCalls ?? []) n += Buffer.byteLength(c.name) + Buffer.byteLength(c.arguments);
  return n;
}

const rowBounds = new WeakMap<object, number>();

export function entryTokensBound(entry: LogEntry): number {
  let n = rowBounds.get(entry);
  if (n === undefined) rowBounds.set(entry, (n = messageTokensBound(toChatMessage(entry))));
  return n;
}

/**
 * Our tokenizer is exact only for OpenAI models; for others it drifts by a roughly constant factor.
 * The provider's reported input tokens for the previous call divided by our count for it measures
 * that factor; clamping keeps one odd report (cached prompts, a proxy adding text) from wrecking it.
 */
export function clampCalibration(factor: number | undefined): number {
  if (factor === undefined || !Number.isFinite(factor) || factor <= 0) return 1;
  return Math.min(CALIBRATION_MAX, Math.max(CALIBRATION_MIN, factor));
}

/** The factor to pass to the next buildWindow, from the last call's usage and our raw count. */
export function calibrationFrom(reportedInputTokens: number, ourRawTokens: number): number {
  if (reportedInputTokens <= 0 || ourRawTokens <= 0) return 1;
  return clampCalibration(reportedInputTokens / ourRawTokens);
}

export function calibrated(rawTokens: number, factor: number): number {
  return Math.ceil(rawTokens * factor);
}
