/**
 * Removes credentials from arbitrary data before it leaves the process (span attributes, logs).
 * Two nets: keys that name a secret are blanked whatever their value, and string values are
 * searched for token shapes (Bearer/Basic headers, `sk-…` API keys, `key=value` query params).
 */
export const REDACTED = "[REDACTED]";

// Normalised key (lower case, no `-`/`_`): exact names plus anything ending in apikey/token/secret.
// "tokens" (input_tokens, max_tokens) is intentionally not matched: those are counts, not secrets.
const SECRET_KEY = /^(authorization|proxyauthorization|cookie|setcookie|password|passwd|passphrase|credentials?|privatekey|.*apikey|.*token|.*secret)$/;

const STRING_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Length floors keep prose ("bearer of bad news", "Basic usage") intact.
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\b(Basic)\s+[A-Za-z0-9+/]{12,}={0,2}/g, `$1 ${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, REDACTED],
  [/\b(api[_-]?key|access[_-]?token|token|password|secret)=[^&\s"']+/gi, `$1=${REDACTED}`],
];

const MAX_DEPTH = 32;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ""));
}

export function scrubString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of STRING_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A deep copy of `value` with secrets replaced by "[REDACTED]". Cycles and excess depth are cut. */
export function scrubSecrets(value: unknown): unknown {
  return scrub(value, 0, new WeakSet());
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return scrubString(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) return "[…]";
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
  if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
  if (value instanceof Headers) return scrub(Object.fromEntries(value.entries()), depth, seen);
  if (value instanceof Map) return scrub(Object.fromEntries(value), depth, seen);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : scrub(item, depth + 1, seen);
  }
  return out;
}
