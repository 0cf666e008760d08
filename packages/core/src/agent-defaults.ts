/**
 * What an agent gets for whatever its definition leaves out (the API's agent schema fills these in)
 * and what the worker runs for a session that names no agent. One place, so the two cannot drift.
 */
export const DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";

/** Model calls per turn, tool calls per turn, and the turn's whole deadline. */
export const DEFAULT_AGENT_LIMITS: Readonly<{ maxIterations: number; maxToolCalls: number; turnDeadlineMs: number }> = Object.freeze({
  maxIterations: 8,
  maxToolCalls: 32,
  turnDeadlineMs: 300_000,
});
