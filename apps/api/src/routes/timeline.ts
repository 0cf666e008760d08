import { isId, TurnqError } from "@turnq/core";
import { getTurn, messagesOfTurn, previousTurn, toolCallsOfTurn } from "@turnq/db";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { turnJson } from "../serialize.ts";
import { buildTimeline } from "../turn-timeline.ts";
import { callerOf } from "../caller.ts";

/** GET /v1/turns/{id}/timeline: the turn and its stages (see turn-timeline.ts), for the console. */
export function timelineRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/turns/:id/timeline", async (c) => {
    const id = c.req.param("id");
    // Another tenant's turn is not found, word for word as one that never existed.
    const turn = isId("turn", id) ? await getTurn(deps.db, id, callerOf(c).tenantId) : undefined;
    if (!turn) throw new TurnqError("not_found", `Turn ${id} does not exist; use the id returned by POST /v1/sessions/{id}/turns.`);
    const [previous, toolIntents, messages, events] = await Promise.all([
      previousTurn(deps.db, turn),
      toolCallsOfTurn(deps.db, turn.id),
      messagesOfTurn(deps.db, turn.sessionId, turn.id),
      // Redis down: the stages Postgres knows are still worth showing.
      deps.events.ofTurn(turn.sessionId, turn.id).catch(() => []),
    ]);
    const { entries, liveEvents } = buildTimeline({ turn, previous, toolIntents, messages, events });
    return c.json({ turn: turnJson(turn, deps.jaegerUiUrl), entries, liveEvents });
  });
}
