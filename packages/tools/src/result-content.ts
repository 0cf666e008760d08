/**
 * Turning a tool's return value into the text the model reads, within a size budget. A tool returning
 * megabytes would otherwise blow the model's context window and the message log row.
 */

export const defaultMaxContentBytes = 64 * 1024;

/** Strings go to the model as they are (no extra quoting); everything else as JSON. */
export function serialiseResult(value: unknown): { ok: true; text: string } | { ok: false; message: string } {
  if (typeof value === "string") return { ok: true, text: value };
  try {
    const text = JSON.stringify(value);
    // JSON.stringify(undefined) (a tool with nothing to say) returns undefined, not a string.
    return { ok: true, text: text ?? "null" };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/**
 * Caps `text` at `maxBytes` of UTF-8, cutting on a character boundary and appending a marker that tells
 * the model (and whoever reads the log) that it is seeing only part of the result.
 */
export function capContent(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const marker = `\n…[truncated: result was ${bytes.length} bytes, showing the first ${maxBytes}]`;
  let end = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split in half.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + marker;
}

/** Truncates by characters, for tools that cap a field inside their own (still valid JSON) result. */
export function truncateText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  return {
    text: `${text.slice(0, maxChars)}\n…[truncated: ${text.length - maxChars} more characters not shown]`,
    truncated: true,
  };
}
