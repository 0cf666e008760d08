import { createHash } from "node:crypto";
import { submitTurnRequest } from "@turnq/contract";
import { isId, isTerminal, limits, newId, TurnqError } from "@turnq/core";
import { submitTurn } from "@turnq/db";
import { Hono } from "hono";
import type { z } from "zod";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { turnJson } from "../serialize.ts";
import { withTurnSend } from "../turn-send.ts";
import { parseWait, waitForTerminal } from "./get-turn.ts";
import { validate } from "../validate.ts";

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export function turnRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().post("/v1/sessions/:id/turns", jsonBody(limits.requestBodyBytes), async (c) => {
    const sessionId = c.req.param("id");
    if (!isId("session", sessionId)) {
      throw new TurnqError("not_found", `Session ${sessionId} does not exist; create one with POST /v1/sessions.`);
    }
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !idempotencyKeyPattern.test(key)) {
      throw new TurnqError("invalid_request", "Idempotency-Key must be 1-255 visible ASCII characters (a UUID works well).");
    }
    const raw = c.get("body") as { input?: unknown } | null;
    if (typeof raw?.input === "string" && Buffer.byteLength(raw.input) > limits.inputBytes) throw inputTooLarge();
    const body = validate(submitTurnRequest, raw);
    // `Prefer: wait=N`: answer with the finished turn when it finishes within N s (one request
    // instead of a submit and a long-poll). Listening starts before the turn exists, so its end
    // cannot slip by; an idempotent replay answers 202 as usual.
    const waitSeconds = parseWait(c.req.header("prefer"));
    const newTurnId = newId("turn");
    const watch = waitSeconds > 0 ? deps.watcher.watch(newTurnId) : undefined;
    try {
      const { created, ...submitted } = await submitAndAnnounce(deps, sessionId, newTurnId, key, body);
      let turn = submitted.turn;
      if (watch && created && !isTerminal(turn.status)) {
        turn = await waitForTerminal(deps, turn, watch, waitSeconds * 1_000, c.req.raw.signal);
        c.header("preference-applied", `wait=${waitSeconds}`);
      }
      if (turn.traceParent) c.header("traceparent", turn.traceParent);
      c.header("location", `/v1/turns/${turn.id}`);
      if (!created) c.header("idempotent-replayed", "true");
      return c.json(turnJson(turn, deps.jaegerUiUrl), watch && isTerminal(turn.status) ? 200 : 202);
    } finally {
      watch?.close();
    }
  });
}

/** Commits the turn (durable before anything else happens), then announces it in the mailbox. */
async function submitAndAnnounce(
  deps: ApiDeps,
  sessionId: string,
  id: string,
  key: string | undefined,
  body: z.infer<typeof submitTurnRequest>,
) {
  return withTurnSend(sessionId, async (trace, span) => {
    const { turn, created, interrupted } = await submitTurn(deps.db, {
      id,
      sessionId,
      input: body.input,
      onBusy: body.onBusy,
      idempotencyKey: key,
      requestHash: createHash("sha256").update(JSON.stringify(body)).digest("hex"),
      ...trace,
    });
    span.setAttributes({ "turnq.turn.id": turn.id, "turnq.turn.position": turn.position, "turnq.turn.created": created });
    for (const id of interrupted) await deps.signals.cancel(id).catch(() => 0);
    if (turn.status === "queued" || turn.status === "running") {
      // The turn is committed: from here on it cannot be lost. If Redis is unreachable the
      // reconciler announces it within seconds, so the request still succeeds.
      await deps.mailbox.enqueue(sessionId, [turn.id], { traceparent: trace.traceParent }).catch((err: Error) => {
        deps.logger.warn({ turnId: turn.id, err: err.message }, "enqueue failed; the reconciler will pick the turn up");
      });
    }
    return { turn, created };
  });
}

function inputTooLarge(): TurnqError {
  return new TurnqError("payload_too_large", `input is larger than ${limits.inputBytes} bytes; split it or send less.`);
}
