/**
 * What the API and the worker must agree on about tools, so an agent the API accepts always runs.
 * Pure data and checks: the API imports this without loading the worker's tool code.
 */

/**
 * The code tools every worker registers (apps/worker/src/tools/catalog.ts asserts it holds exactly
 * these). An agent may name only these in `tools`; anything else is an HTTP tool in `httpTools`.
 */
export const builtinToolNames = ["current_time", "http_get"] as const;

/** Tool names as the LLM APIs accept them. */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Checks what can be checked from an outbound URL alone, before any connection: scheme and
 * credentials. Returns a sentence describing the problem, or undefined when the URL is acceptable.
 */
export function urlProblem(url: URL): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `only http and https URLs are allowed, not ${url.protocol.replace(/:$/, "")}`;
  }
  if (url.username !== "" || url.password !== "") return "URLs with embedded credentials are not allowed";
  return undefined;
}

/** Set by the HTTP client from the request itself; undici refuses a request that sets them. */
const clientOwnedHeaders = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "expect"]);
const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$/;
// Visible ASCII, space and tab. undici also passes bytes 0x80-0xff, but a non-ASCII character in a
// header is nearly always a pasted placeholder (`sk-…`), not a real credential.
const valuePattern = /^[\t\x20-\x7e]{0,4000}$/;

/** Why an HTTP tool's configured header could not be sent on every request; undefined when it can. */
export function headerProblem(name: string, value: string): string | undefined {
  if (!tokenPattern.test(name)) return "header names are 1-200 characters of letters, digits and !#$%&'*+.^_`|~-";
  if (clientOwnedHeaders.has(name.toLowerCase())) return `${name.toLowerCase()} is set by the HTTP client; remove it`;
  if (!valuePattern.test(value)) {
    return "header values are at most 4,000 visible ASCII characters, spaces or tabs (no line breaks, no non-ASCII such as the … of a placeholder key)";
  }
  return undefined;
}
