import { describe, expect, it } from "vitest";
import { DeltaBatcher } from "../../src/agent/delta-batcher.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batcher with a short window and a switch for "an SSE reader follows the session". */
function batcher(followed: boolean) {
  const sent: string[] = [];
  const state = { followed };
  const b = new DeltaBatcher((text) => sent.push(text), { windowMs: 5, followed: () => state.followed });
  return { b, sent, state };
}

describe("DeltaBatcher", () => {
  it("sends a model call's first delta at once and joins the rest per window while the session is followed", async () => {
    const { b, sent } = batcher(true);
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

  it("holds the text while nobody follows, and hands it all over at the end", async () => {
    const { b, sent } = batcher(false);
    b.push("a");
    b.push("b");
    await sleep(30);
    b.push("c");
    await sleep(30);
    expect(sent).toEqual(["a"]);
    expect(b.take()).toBe("bc");
    await sleep(30);
    expect(sent).toEqual(["a"]);
  });

  it("sends the text held so far when told a reader follows (flush), then joins per window again", async () => {
    const { b, sent, state } = batcher(false);
    b.push("a");
    b.push("b");
    await sleep(30);
    expect(sent).toEqual(["a"]);
    state.followed = true;
    b.flush();
    expect(sent).toEqual(["a", "b"]);
    b.push("c");
    expect(sent).toEqual(["a", "b"]);
    await sleep(30);
    expect(sent).toEqual(["a", "b", "c"]);
  });

  it("sends held text before another event (flush), keeping the order of events", async () => {
    const { b, sent } = batcher(false);
    b.push("a");
    b.push("b");
    await sleep(20);
    b.flush();
    expect(sent).toEqual(["a", "b"]);
  });
});
