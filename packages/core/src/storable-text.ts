/**
 * Why Postgres could not store `s` faithfully, as text or inside jsonb; undefined when it can. A text
 * column holds no NUL and jsonb refuses `\u0000`; jsonb refuses an unpaired surrogate escape, and in a
 * text column the driver's UTF-8 encoding would silently turn one into U+FFFD. Both checks are native
 * string scans, cheap enough for every string of every request.
 */
export function unstorableTextReason(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains NUL (U+0000), which Postgres cannot store";
  if (!s.isWellFormed()) return "contains an unpaired UTF-16 surrogate (U+D800-U+DFFF without its pair), which is not valid Unicode";
  return undefined;
}
