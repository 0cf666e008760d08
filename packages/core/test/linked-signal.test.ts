import { getEventListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { linkedSignal } from "../src/index.ts";

describe("linkedSignal", () => {
  it("aborts with the reason of the parent that aborted, and lets go of every parent", () => {
    const shutdown = new AbortController();
    const cancel = new AbortController();
    const linked = linkedSignal([shutdown.signal, undefined, cancel.signal]);
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(1);
    cancel.abort(new Error("cancelled by the user"));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe("cancelled by the user");
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(cancel.signal, "abort")).toHaveLength(0);
  });

  it("is aborted at once when a parent already is", () => {
    const linked = linkedSignal([AbortSignal.abort("gone")], { ms: 60_000, reason: () => "late" });
    expect(linked.signal.reason).toBe("gone");
  });

  it("aborts with the timeout's reason when the time is up", async () => {
    const parent = new AbortController();
    const linked = linkedSignal([parent.signal], { ms: 20, reason: () => new Error("past the deadline") });
    await sleep(60);
    expect((linked.signal.reason as Error).message).toBe("past the deadline");
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
  });

  it("once disposed, neither its parents nor its timer abort it, and the parents hold no listener of it", async () => {
    const parent = new AbortController();
    const linked = linkedSignal([parent.signal], { ms: 20, reason: () => "late" });
    linked.dispose();
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
    parent.abort("after the work ended");
    await sleep(60);
    expect(linked.signal.aborted).toBe(false);
  });
});
