import { createHash } from "node:crypto";
import { recordToolIntents, toolIntentIds, type Db, type NewMessage, type TurnRow } from "@turnq/db";
import type { ToolCall } from "@turnq/llm";
import { runToolCalls, type ToolRegistry, type ToolResult } from "@turnq/tools";
import { withToolSpan } from "../turn-spans.ts";
import type { TurnEvent } from "./turn-events.ts";
import { toolResultContent } from "./turn-state.ts";

export interface ToolRound {
  db: Db;
  turn: TurnRow;
  registry: ToolRegistry;
  signal: AbortSignal;
  calls: ToolCall[];
  /** True when these calls were left unanswered by an earlier attempt of the turn (a crash). */
  resumed: boolean;
  emit(event: TurnEvent): void;
}

/**
 * Runs one model response's tool calls and returns their result messages, in call order. Each call's
 * intent is recorded before it runs; on a resumed round, a call whose intent exists ran (or began to
 * run) before the crash, so a non-idempotent one is not run again: the model is told its outcome is
 * unknown. Idempotent calls run again, with the same idempotency key.
 */
export async function runToolRound(r: ToolRound): Promise<NewMessage[]> {
  const started = r.resumed ? await toolIntentIds(r.db, r.turn.id) : new Set<string>();
  const idempotent = (c: ToolCall) => r.registry.get(c.name)?.idempotent ?? false;
  const toRun = r.calls.filter((c) => !started.has(c.id) || idempotent(c));
  await recordToolIntents(
    r.db,
    r.turn.id,
    toRun.map((c) => ({
      callId: c.id,
      name: c.name,
      argsHash: createHash("sha256").update(c.arguments).digest("hex"),
      idempotent: idempotent(c),
    })),
  );
  const ran = await runToolCalls(toRun, r.registry, {
    turnId: r.turn.id,
    sessionId: r.turn.sessionId,
    signal: r.signal,
    wrap: withToolSpan,
    onStart: (c) => r.emit({ type: "tool.started", callId: c.id, name: c.name }),
    onFinish: (c, res) => r.emit({ type: "tool.finished", callId: c.id, name: c.name, ok: res.ok, durationMs: res.durationMs }),
  });
  const byId = new Map<string, ToolResult>(ran.map((res) => [res.callId, res]));
  return r.calls.map((c) => ({
    role: "tool",
    content: toolResultContent(
      c.id,
      byId.get(c.id)?.content ??
        `Outcome unknown: the worker stopped while tool "${c.name}" was running, and it is not idempotent, so it was not run again.`,
    ),
  }));
}
