import { describe, expect, it } from "vitest";
import { DeltaBatcher } from "../../src/agent/delta-batcher.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batcher with a short window; whether its deltas are held while nobody follows is TurnLive's part (turn-live.test.ts). */
function batcher() {
  const sent: string[] = [];
  const b = new DeltaBatcher((text) => sent.push(text), { windowMs: 5 });
  return { b, sent };
}

describe("DeltaBatcher", () => {
  it("sends a model call's first delta at once and joins the rest per window", async () => {
    const { b, sent } = batcher();
    b.push("a");
    expect(sent).toEqual(["a"]);
    b.push("b");
    b.push("c");
    expect(sent).toEqual(["a"]);
    await sleep(30);
    expect(sent).toEqual(["a", "bc"]);
    b.newCall();
    b.push("d");
    expect(sent).toEqual(["a", "bc", "d"]);
  });

  it("hands the text not yet sent to the caller (take), and then sends nothing more", async () => {
    const { b, sent } = batcher();
    b.push("a");
    b.push("b");
    b.push("c");
    expect(b.take()).toBe("bc");
    await sleep(30);
    expect(sent).toEqual(["a"]);
  });

  it("sends what it joined before another event (flush), keeping the order of events", () => {
    const { b, sent } = batcher();
    b.push("a");
    b.push("b");
    b.flush();
    expect(sent).toEqual(["a", "b"]);
  });
});
