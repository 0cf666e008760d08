/** Progress a running turn reports for live subscribers (SSE); durable facts are also in Postgres. */
export type TurnEvent =
  | { type: "turn.status"; status: string; error?: { code: string; message: string } }
  | { type: "message.delta"; text: string }
  | { type: "message"; seq: number; role: string; content: unknown }
  | { type: "tool.started"; callId: string; name: string }
  | { type: "tool.finished"; callId: string; name: string; ok: boolean; durationMs: number };
