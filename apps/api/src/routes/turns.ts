import { createHash } from "node:crypto";
import { submitTurnRequest } from "@turnq/contract";
import { isId, isTerminal, limits, newId, TurnqError } from "@turnq/core";
import { confirmTurnDurable, submitTurn } from "@turnq/db";
import { Hono } from "hono";
import type { z } from "zod";
import { callerOf, type Caller } from "../caller.ts";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { admissionUnavailable, admitSubmit } from "../middleware/rate-limit.ts";
import { turnJson } from "../serialize.ts";
import { withTurnSend } from "../turn-send.ts";
import { parseWait, waitForTerminal } from "./get-turn.ts";
import { validate } from "../validate.ts";
import { clientGone, header } from "../node-request.ts";

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

/** The submit's path: admitted by its route (admitSubmit), not by the general rate-limit middleware. */
export const submitPath = /^\/v1\/sessions\/[^/]+\/turns$/;

export function turnRoutes(deps: ApiDeps) {
  const onAdmissionUnavailable = admissionUnavailable(deps.logger);
  return new Hono<AppEnv>().post("/v1/sessions/:id/turns", async (c, next) => {
    const sessionId = c.req.param("id");
    if (!isId("session", sessionId)) {
      throw new TurnqError("not_found", `Session ${sessionId} does not exist; create one with POST /v1/sessions.`);
    }
    // Admission before anything is read or stored: backpressure from a cached reading (no round
    // trip), then one script for rate limits and quotas. A refused submit stores nothing.
    const waiting = deps.backlog.depth.current();
    if (waiting > deps.backlog.max) {
      throw new TurnqError("queue_full", `${waiting} sessions are waiting for a worker (the bound is ${deps.backlog.max}); retry in a few seconds.`, {
        retryAfterMs: 2_000,
      });
    }
    await admitSubmit(c, deps.admission, sessionId, onAdmissionUnavailable);
    await next();
  }, jsonBody(limits.requestBodyBytes), async (c) => {
    const sessionId = c.req.param("id");
    const key = header(c, "idempotency-key");
    if (key !== undefined && !idempotencyKeyPattern.test(key)) {
      throw new TurnqError("invalid_request", "Idempotency-Key must be 1-255 visible ASCII characters (a UUID works well).");
    }
    const raw = c.get("body") as { input?: unknown } | null;
    if (typeof raw?.input === "string" && Buffer.byteLength(raw.input) > limits.inputBytes) throw inputTooLarge();
    const body = validate(submitTurnRequest, raw);
    // `Prefer: wait=N`: answer with the finished turn when it finishes within N s (one request
    // instead of a submit and a long-poll). Listening starts before the turn exists, so its end
    // cannot slip by; an idempotent replay answers 202 as usual.
    const waitSeconds = parseWait(header(c, "prefer"));
    const newTurnId = newId("turn");
    const watch = waitSeconds > 0 ? deps.watcher.watch(newTurnId) : undefined;
    try {
      // A waiting client is told nothing before the turn's finish (a synchronous commit) has
      // flushed the WAL, so its submit need not wait for a flush of its own.
      const deferFlush = watch !== undefined;
      const { created, ...submitted } = await submitAndAnnounce(deps, callerOf(c), sessionId, newTurnId, key, body, deferFlush);
      let turn = submitted.turn;
      if (watch && created && !isTerminal(turn.status)) {
        turn = await waitForTerminal(deps, turn, watch, waitSeconds * 1_000, clientGone(c));
        c.header("preference-applied", `wait=${waitSeconds}`);
      }
      const status = watch && isTerminal(turn.status) ? 200 : 202;
      // 202 promises the turn is durable. A replay may have found a turn whose own submit deferred
      // its flush and has not been told anything yet, so it is confirmed too (replays are rare).
      if (status === 202 && (deferFlush || !created) && !(await confirmTurnDurable(deps.db, turn.id))) throw lostBeforeFlush();
      if (turn.traceParent) c.header("traceparent", turn.traceParent);
      c.header("location", `/v1/turns/${turn.id}`);
      if (!created) c.header("idempotent-replayed", "true");
      return c.json(turnJson(turn, deps.jaegerUiUrl), status);
    } finally {
      watch?.close();
    }
  });
}

/** Commits the turn (durable before anything else happens), then announces it in the mailbox. */
async function submitAndAnnounce(
  deps: ApiDeps,
  caller: Caller,
  sessionId: string,
  id: string,
  key: string | undefined,
  body: z.infer<typeof submitTurnRequest>,
  deferFlush: boolean,
) {
  return withTurnSend(sessionId, async (trace, span) => {
    const { turn, created, interrupted, webhookDeliveries } = await submitTurn(deps.db, {
      id,
      deferFlush,
      sessionId,
      tenantId: caller.tenantId,
      apiKeyId: caller.keyId,
      input: body.input,
      onBusy: body.onBusy,
      idempotencyKey: key,
      requestHash: createHash("sha256").update(JSON.stringify(body)).digest("hex"),
      ...trace,
    });
    span.setAttributes({ "turnq.turn.id": turn.id, "turnq.turn.position": turn.position, "turnq.turn.created": created });
    for (const id of interrupted) await deps.signals.cancel(id).catch(() => 0);
    if (webhookDeliveries?.length) {
      await deps.webhooks.enqueue(webhookDeliveries).catch((err: Error) => deps.logger.warn({ err: err.message }, "could not enqueue webhook deliveries; the reconciler will"));
    }
    if (turn.status === "queued" || turn.status === "running") {
      // The turn is committed: from here on it cannot be lost. If Redis is unreachable the
      // reconciler announces it within seconds, so the request still succeeds.
      const tenant = { tenantId: caller.tenantId, weight: caller.weight };
      await deps.mailbox.enqueue(sessionId, [turn.id], { traceparent: trace.traceParent, ...tenant }).catch((err: Error) => {
        deps.logger.warn({ turnId: turn.id, err: err.message }, "enqueue failed; the reconciler will pick the turn up");
      });
    }
    return { turn, created };
  });
}

/** Postgres crashed between the deferred commit and any flush: the turn is gone, nothing was promised. */
function lostBeforeFlush(): TurnqError {
  return new TurnqError(
    "database_unavailable",
    "The database restarted before the turn was saved; send it again (with the same Idempotency-Key it is never stored twice).",
    { retryAfterMs: 1_000 },
  );
}

function inputTooLarge(): TurnqError {
  return new TurnqError("payload_too_large", `input is larger than ${limits.inputBytes} bytes; split it or send less.`);
}
