/**
 * Whether an error means "Postgres cannot be reached or is not accepting work right now" (down,
 * restarting, shutting down, connection cut), as opposed to a problem with the statement itself.
 * The API answers such errors with 503 `database_unavailable`; the worker waits and tries again
 * without charging the turn an attempt. Drizzle wraps driver errors, so the whole cause chain is read.
 */
export function isDbUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (driverCodes.has(code) || unavailableStates.has(code) || code.startsWith("08"))) return true;
  }
  return false;
}

/** postgres.js and Node socket codes for a connection that could not be made or was lost. */
const driverCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server going away or not yet back: admin_shutdown, crash_shutdown,
 * cannot_connect_now (starting up or in recovery); class 08 (connection exceptions) is checked by prefix.
 */
const unavailableStates = new Set(["57P01", "57P02", "57P03"]);
