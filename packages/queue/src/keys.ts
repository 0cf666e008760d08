/**
 * Redis key names. Per-session keys share a `{sessionId}` hash tag so the Lua scripts that touch
 * several of them stay valid on Redis Cluster.
 */
export function sessionKeys(prefix: string, sessionId: string) {
  const base = `${prefix}:s:{${sessionId}}`;
  return {
    /** Set of accepted turn ids that are not yet known to be finished. */
    pending: `${base}:pending`,
    /** Id of the session's one drain job while it has one. */
    drain: `${base}:drain`,
    /** Counter that makes each drain job id unique. */
    generation: `${base}:gen`,
  };
}

export function turnChannel(prefix: string, turnId: string): string {
  return `${prefix}:turn:${turnId}`;
}
