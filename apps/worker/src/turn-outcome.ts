import type { ErrorCode } from "@turnq/core";
import type { ClaimedSession, MessageRow, TurnRow } from "@turnq/db";
import type { PrefetchedHistory } from "./context/index.ts";
import type { TurnLive } from "./turn-live.ts";

/**
 * A claimed turn with what the claim read for it: the session's agent and budget, and its history;
 * `live` carries its live events to the session's stream.
 */
export interface StartingTurn {
  turn: TurnRow;
  session: ClaimedSession;
  prefetched: PrefetchedHistory;
  live: TurnLive;
}

/**
 * A turn's final write: `turn` as stored, `appended` the log entries it added, and text the model
 * streamed that watchers have not been sent yet; the drain loop hands all of it to Redis at once.
 */
export interface Settled {
  turn: TurnRow;
  appended: MessageRow[];
  trailingDelta?: { text: string; seq: number | undefined };
  /** Webhook deliveries the final write created (none when the tenant has no endpoint for the event). */
  webhookDeliveries?: string[];
}

/** What running one claimed turn came to; the drain loop decides what happens next from this alone. */
export type TurnOutcome =
  | ({ kind: "completed" } & Settled)
  | { kind: "failed"; code: ErrorCode; message: string }
  | { kind: "retry"; code: ErrorCode; message: string; delayMs: number; refundAttempt?: boolean }
  | { kind: "released" }
  /** Already finalised in the log and on the turn (cancelled, or failed at an agent limit). */
  | ({ kind: "stopped"; status: "cancelled" | "failed"; code: ErrorCode; message: string } & Settled)
  | { kind: "lease_lost" };
