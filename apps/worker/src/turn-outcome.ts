import type { ErrorCode } from "@turnq/core";

/** What running one claimed turn came to; the drain loop decides what happens next from this alone. */
export type TurnOutcome =
  | { kind: "completed"; output: string }
  | { kind: "failed"; code: ErrorCode; message: string }
  | { kind: "retry"; code: ErrorCode; message: string; delayMs: number; refundAttempt?: boolean }
  | { kind: "released" }
  /** Already finalised in the log and on the turn (cancelled, or failed at an agent limit). */
  | { kind: "stopped"; status: "cancelled" | "failed"; code: ErrorCode; message: string }
  | { kind: "lease_lost" };
