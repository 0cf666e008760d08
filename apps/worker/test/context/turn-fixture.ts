import { randomUUID } from "node:crypto";
import { claimNextTurn, submitTurn, type Db, type NewMessage, type TurnRow } from "@turnq/db";
import { completeTurn } from "../../../../test/support/complete-turn.ts";
import { testTenantId } from "../../../../test/support/tenants.ts";

/** Submits a turn and claims it, as a worker would before building its context. */
export async function claimTurn(db: Db, sessionId: string, input: string): Promise<TurnRow> {
  const { turn } = await submitTurn(db, { tenantId: await testTenantId(db), sessionId, input, requestHash: randomUUID() });
  const claim = await claimNextTurn(db, sessionId, { maxAttempts: 5, maxCrashes: 5 });
  if (claim.kind !== "claimed" || claim.turn.id !== turn.id) throw new Error(`expected to claim ${turn.id}`);
  return claim.turn;
}

/** Logs one complete turn: its user message followed by `replies`. */
export async function logTurn(db: Db, sessionId: string, input: string, replies: NewMessage[]): Promise<TurnRow> {
  const turn = await claimTurn(db, sessionId, input);
  await completeTurn(db, {
    turnId: turn.id,
    lease: turn.lease,
    output: "done",
    messages: [{ role: "user", content: { text: input } }, ...replies],
  });
  return turn;
}
