/**
 * Why `value` cannot be sent as an HTTP header value (an API key, a tool's header), or undefined
 * when it can: printable ASCII, spaces and tabs inside. undici refuses anything else at dispatch,
 * so checking up front turns a request that could never be sent into a message at start-up. The
 * answer names a position and a character code, never the value itself (it is usually a secret).
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 9 || (c >= 0x20 && c <= 0x7e)) continue;
    const at = `at position ${i + 1}`;
    if (c === 10 || c === 13) return `it contains a line break ${at}`;
    const code = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
    if (c === 0x2026) return `it contains "…" (${code}) ${at}: a placeholder was pasted instead of a real value`;
    if (c > 0x7e) return `it contains a non-ASCII character (${code}) ${at}`;
    return `it contains a control character (${code}) ${at}`;
  }
  if (value !== value.trim()) return "it starts or ends with whitespace";
  return undefined;
}
