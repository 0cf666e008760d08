import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "@turnq/llm-simulator";
import type { LoggedMessage } from "../support/log-checks.ts";
import { check, type History } from "./checker.ts";
import type { AckedTurn } from "./load.ts";

/** The checker must catch what it is there to catch: one history per kind of violation. */
const s = "ses_1";
const turn = (n: number): AckedTurn => ({ sessionId: s, id: `turn_${n}`, input: `in ${n}`, position: n, key: `k${n}`, ackedAt: n });
const entries = (n: number): LoggedMessage[] => [
  { sessionId: s, seq: 2 * n - 1, turnId: `turn_${n}`, role: "user", text: `in ${n}` },
  { sessionId: s, seq: 2 * n, turnId: `turn_${n}`, role: "assistant", text: `Echo: in ${n} (saw ${2 * n} messages)` },
];
const call = (id: number, messages: { role: string; content: string }[]): RecordedRequest => ({
  id,
  path: "/v1/chat/completions",
  model: "m",
  stream: true,
  messages,
  tools: undefined,
  traceparent: undefined,
  startedAt: 0,
  endedAt: 1,
  status: 200,
  aborted: false,
});
const system = { role: "system", content: "You are a helpful assistant." };

function healthy(): History {
  return {
    acked: new Map([[s, [turn(1), turn(2)]]]),
    turns: [1, 2].map((n) => ({ id: `turn_${n}`, sessionId: s, position: n, status: "completed", attempts: 1, crashes: 0, errorCode: null })),
    logs: new Map([[s, [...entries(1), ...entries(2)]]]),
    modelCalls: [
      call(1, [system, { role: "user", content: "in 1" }]),
      call(2, [system, { role: "user", content: "in 1" }, { role: "assistant", content: "Echo: in 1 (saw 2 messages)" }, { role: "user", content: "in 2" }]),
    ],
  };
}

describe("the chaos checker", () => {
  it("finds nothing wrong with a correct history", () => {
    expect(check(healthy()).violations).toEqual([]);
  });

  it("reports an acknowledged turn that did not complete, or was stored without acknowledgement", () => {
    const h = healthy();
    h.turns[1]!.status = "failed";
    h.turns.push({ id: "turn_9", sessionId: s, position: 3, status: "completed", attempts: 1, crashes: 0, errorCode: null });
    const v = check(h).violations;
    expect(v.some((x) => x.includes("turn_2") && x.includes("ended failed"))).toBe(true);
    expect(v.some((x) => x.includes("turn_9") && x.includes("never acknowledged"))).toBe(true);
  });

  it("reports a turn appended twice, a gap in seq and a log out of acknowledged order", () => {
    const twice = healthy();
    twice.logs.set(s, [...entries(1), ...entries(1).map((m) => ({ ...m, seq: m.seq + 2 })), ...entries(2).map((m) => ({ ...m, seq: m.seq + 2 }))]);
    expect(check(twice).violations.length).toBeGreaterThan(0);
    const gap = healthy();
    gap.logs.set(s, [...entries(1), ...entries(2).map((m) => ({ ...m, seq: m.seq + 1 }))]);
    expect(check(gap).violations.some((x) => x.includes("seq"))).toBe(true);
    const swapped = healthy();
    swapped.acked.set(s, [turn(2), turn(1)]);
    expect(check(swapped).violations.some((x) => x.includes("acknowledged after"))).toBe(true);
  });

  it("reports a model call that did not see exactly the history before its turn", () => {
    const h = healthy();
    h.modelCalls = [...h.modelCalls, call(3, [system, { role: "user", content: "in 2" }])];
    const v = check(h).violations;
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/model call 3 for turn_2 saw 1 messages, expected the 3 before it/);
    expect(check(h).figures.turnsCalledAgain).toBe(1);
  });
});
