import type { RecordedRequest } from "@turnq/llm-simulator";
import { logProblems, type LoggedMessage } from "../support/log-checks.ts";
import type { AckedTurn } from "./load.ts";

export interface StoredTurn {
  id: string;
  sessionId: string;
  position: number;
  status: string;
  attempts: number;
  crashes: number;
  errorCode: string | null;
}

export interface History {
  /** What the clients were told: per session, acknowledged turns in acknowledgement order. */
  acked: Map<string, AckedTurn[]>;
  /** What Postgres holds at the end, for the run's sessions. */
  turns: StoredTurn[];
  logs: Map<string, LoggedMessage[]>;
  /** Every model call the simulator received, including those cut off by a kill. */
  modelCalls: readonly RecordedRequest[];
}

export interface Verdict {
  violations: string[];
  figures: {
    sessions: number;
    ackedTurns: number;
    completedTurns: number;
    modelCalls: number;
    /** Turns whose model call was made more than once (a run cut short by a fault, then run again). */
    turnsCalledAgain: number;
    maxAttempts: number;
    maxCrashes: number;
  };
}

/**
 * The checker, in the spirit of Jepsen's: it judges only the history (what clients were told, what
 * the database holds, what the model was asked), never the system's own account of itself.
 * - every acknowledged turn completed, exactly once: one user and one assistant entry in the log;
 * - nothing stored that was not acknowledged;
 * - each session's log is exactly its acknowledged turns, in acknowledgement order, seq 1..n;
 * - each model call carried exactly the session's history before that turn, then the turn's input.
 */
export function check(h: History): Verdict {
  const violations: string[] = [];
  const v = (s: string) => {
    if (violations.length < 200) violations.push(s);
  };
  const stored = new Map(h.turns.map((t) => [t.id, t]));
  const ackedIds = new Set<string>();
  const byInput = new Map<string, AckedTurn>();
  let completed = 0;

  for (const [sessionId, turns] of h.acked) {
    turns.forEach((t, i) => {
      ackedIds.add(t.id);
      byInput.set(t.input, t);
      if (i > 0 && t.position <= turns[i - 1]!.position) v(`${sessionId}: ${t.id} acknowledged after ${turns[i - 1]!.id} but has position ${t.position}`);
      const row = stored.get(t.id);
      if (!row) return v(`acknowledged turn ${t.id} (${t.input}) is not in the database`);
      if (row.status === "completed") completed++;
      else v(`acknowledged turn ${t.id} (${t.input}) ended ${row.status}${row.errorCode ? ` (${row.errorCode})` : ""}, attempts ${row.attempts}, crashes ${row.crashes}`);
    });
    for (const p of logProblems(h.logs.get(sessionId) ?? [], turns)) v(`${sessionId} log: ${p}`);
  }
  for (const t of h.turns) if (!ackedIds.has(t.id)) v(`turn ${t.id} of ${t.sessionId} was stored but never acknowledged`);

  const callsPerTurn = new Map<string, number>();
  for (const call of h.modelCalls) {
    const messages = call.messages as { role: string; content: unknown }[];
    const last = messages.at(-1);
    const turn = typeof last?.content === "string" ? byInput.get(last.content) : undefined;
    if (!turn) {
      v(`model call ${call.id} is for no acknowledged turn: ${JSON.stringify(last).slice(0, 200)}`);
      continue;
    }
    callsPerTurn.set(turn.id, (callsPerTurn.get(turn.id) ?? 0) + 1);
    const log = h.logs.get(turn.sessionId) ?? [];
    const own = log.findIndex((m) => m.turnId === turn.id);
    const before = own < 0 ? log : log.slice(0, own);
    const expected = [...before.map((m) => ({ role: m.role, content: m.text })), { role: "user", content: turn.input }];
    const seen = messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: m.content }));
    if (JSON.stringify(seen) !== JSON.stringify(expected)) {
      v(`model call ${call.id} for ${turn.id} saw ${seen.length} messages, expected the ${expected.length} before it: ${JSON.stringify(seen).slice(0, 300)}`);
    }
  }

  const acked = [...h.acked.values()].flat();
  const rows = acked.flatMap((t) => stored.get(t.id) ?? []);
  return {
    violations,
    figures: {
      sessions: h.acked.size,
      ackedTurns: acked.length,
      completedTurns: completed,
      modelCalls: h.modelCalls.length,
      turnsCalledAgain: [...callsPerTurn.values()].filter((n) => n > 1).length,
      maxAttempts: Math.max(0, ...rows.map((r) => r.attempts)),
      maxCrashes: Math.max(0, ...rows.map((r) => r.crashes)),
    },
  };
}
