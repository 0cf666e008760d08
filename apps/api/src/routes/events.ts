import { isId, isTerminal, TurnqError } from "@turnq/core";
import { getTurn } from "@turnq/db";
import type { StreamedEvent } from "@turnq/queue";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { turnJson } from "../serialize.ts";
import { findSession } from "./sessions.ts";

const eventIdPattern = /^\d{1,20}-\d{1,20}$/;

/**
 * Server-Sent Events. Every event's id is its position in the session's event stream; reconnecting
 * with Last-Event-ID resumes right after it, with no gap and no repeat, while the stream still holds
 * it (deltas and progress are kept for an hour, up to 5,000 events a session). When it no longer
 * does, the server first sends `event: gap`: re-read GET /v1/sessions/{id}/messages, whose log is
 * complete at any age. A turn's stream ends after its final status.
 */
export function eventRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .get("/v1/sessions/:id/events", async (c) => {
      const session = await findSession(deps, c.req.param("id"));
      return stream(c, deps, session.id, () => true);
    })
    .get("/v1/turns/:id/events", async (c) => {
      const id = c.req.param("id");
      const turn = isId("turn", id) ? await getTurn(deps.db, id) : undefined;
      if (!turn) throw new TurnqError("not_found", `Turn ${id} does not exist.`);
      return stream(c, deps, turn.sessionId, (e) => e.turnId === turn.id, turn.id);
    });
}

function stream(c: Context<AppEnv>, deps: ApiDeps, sessionId: string, include: (e: StreamedEvent) => boolean, turnId?: string) {
  const lastId = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
  if (lastId !== "0" && !eventIdPattern.test(lastId)) {
    throw new TurnqError("invalid_request", "Last-Event-ID must be an event id this API sent (like 1700000000000-0).");
  }
  c.header("x-accel-buffering", "no");
  return streamSSE(c, async (sse) => {
    const done = new AbortController();
    sse.onAbort(() => done.abort());
    if (await deps.events.missed(sessionId, lastId)) {
      await sse.writeSSE({ event: "gap", data: JSON.stringify({ messagesUrl: `/v1/sessions/${sessionId}/messages` }) });
    }
    // A finished turn whose events expired still gets its final state, read from Postgres.
    const finalFromDb = async (): Promise<boolean> => {
      const turn = turnId ? await getTurn(deps.db, turnId) : undefined;
      if (!turn || !isTerminal(turn.status)) return false;
      await sse.writeSSE({ event: "turn.status", data: JSON.stringify({ type: "turn.status", ...turnJson(turn) }) });
      done.abort();
      return true;
    };
    if (turnId && (await deps.events.isEmpty(sessionId)) && (await finalFromDb())) return;
    await deps.events.follow(
      sessionId,
      lastId,
      async (events) => {
        for (const e of events) {
          if (!include(e)) continue;
          const parsed = JSON.parse(e.data) as { type: string; status?: string };
          await sse.writeSSE({ id: e.id, event: parsed.type, data: JSON.stringify({ turnId: e.turnId, ...parsed }) });
          if (turnId && parsed.type === "turn.status" && ["completed", "failed", "cancelled"].includes(parsed.status ?? "")) {
            done.abort();
          }
        }
      },
      done.signal,
      async () => {
        await sse.write(": keep-alive\n\n");
        if (turnId) await finalFromDb();
      },
    );
  });
}
