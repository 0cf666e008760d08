import { describe, expect, it } from "vitest";
import { serialRefresh } from "../src/serial-refresh.ts";

/** A refresh whose reads see the state as it was when they began, answered when the test says. */
function manualReads() {
  const reads: { answer: () => void }[] = [];
  let state = "";
  const applied: string[] = [];
  const refresh = serialRefresh(async () => {
    const seen = state;
    await new Promise<void>((resolve) => reads.push({ answer: resolve }));
    applied.push(seen);
  });
  return { reads, applied, refresh, set: (s: string) => (state = s) };
}

describe("serialRefresh", () => {
  it("never runs two reads at once, and the last one applied began after the last call", async () => {
    const m = manualReads();
    m.set("queued");
    const first = m.refresh();
    m.set("running");
    const second = m.refresh();
    const third = m.refresh();
    // The calls made while the first read ran share one more run; it has not started yet.
    expect(m.reads).toHaveLength(1);
    expect(third).toBe(second);
    m.reads[0]!.answer();
    await first;
    await expect.poll(() => m.reads.length).toBe(2);
    m.reads[1]!.answer();
    await second;
    expect(m.applied).toEqual(["queued", "running"]);
  });

  it("runs again after a read that failed, and a call when idle starts at once", async () => {
    let calls = 0;
    const refresh = serialRefresh(async () => {
      calls++;
      if (calls === 1) throw new Error("the API did not answer");
    });
    const failing = refresh();
    const after = refresh();
    await expect(failing).rejects.toThrow("the API did not answer");
    await after;
    expect(calls).toBe(2);
    await refresh();
    expect(calls).toBe(3);
  });
});
