/** Progress a running turn reports for live subscribers (SSE); durable facts are also in Postgres. */
export type TurnEvent =
  | { type: "turn.status"; status: string; error?: { code: string; message: string } }
  | { type: "message.delta"; text: string }
  | { type: "message"; seq: number; role: string; content: unknown }
  | { type: "tool.started"; callId: string; name: string }
  | { type: "tool.finished"; callId: string; name: string; ok: boolean; durationMs: number };

/**
 * `seq` is the newest log seq the emitter knows is durable; a client resuming after the live stream
 * expired gets the log's messages after it, so nothing durable is ever missed.
 */
export type EmitTurnEvent = (turn: { id: string; sessionId: string }, event: TurnEvent, seq?: number) => void;
