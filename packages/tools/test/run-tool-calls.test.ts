import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createToolRegistry, defineTool, runToolCalls, type ToolCall } from "../src/index.ts";
import { deferred } from "./helpers.ts";

const opts = (signal = new AbortController().signal) => ({ turnId: "turn-1", sessionId: "session-1", signal });

/** Resolves after `ms`, or rejects as soon as `signal` aborts (as a well-behaved tool does). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

const waitTool = (name: string, parallelSafe: boolean, log?: { name: string; start: number; end: number }[]) =>
  defineTool({
    name,
    description: `waits for ms milliseconds`,
    parameters: z.object({ ms: z.number(), label: z.string().optional() }),
    parallelSafe,
    idempotent: true,
    timeoutMs: 5_000,
    async run({ ms, label }, ctx) {
      const start = performance.now();
      await sleep(ms, ctx.signal);
      log?.push({ name: label ?? name, start, end: performance.now() });
      return { waited: ms, label };
    },
  });

const call = (id: string, name: string, args: unknown): ToolCall => ({ id, name, arguments: JSON.stringify(args) });

describe("runToolCalls scheduling", () => {
  it("runs parallel-safe calls concurrently and returns results in call order even when the first finishes last", async () => {
    const registry = createToolRegistry([waitTool("wait", true)]);
    const finished: string[] = [];
    const started = performance.now();
    const results = await runToolCalls(
      [call("a", "wait", { ms: 240 }), call("b", "wait", { ms: 200 }), call("c", "wait", { ms: 160 })],
      registry,
      { ...opts(), onFinish: (c) => finished.push(c.id) },
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(230);
    expect(elapsed).toBeLessThan(450); // sequential would take 600 ms
    expect(finished).toEqual(["c", "b", "a"]);
    expect(results.map((r) => r.callId)).toEqual(["a", "b", "c"]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(JSON.parse(results[0]!.content)).toEqual({ waited: 240 });
  });

  it("never runs a call that is not parallel-safe at the same time as any other call", async () => {
    const log: { name: string; start: number; end: number }[] = [];
    const registry = createToolRegistry([waitTool("safe", true, log), waitTool("unsafe", false, log)]);
    const results = await runToolCalls(
      [
        call("1", "safe", { ms: 60, label: "s1" }),
        call("2", "safe", { ms: 30, label: "s2" }),
        call("3", "unsafe", { ms: 40, label: "u1" }),
        call("4", "unsafe", { ms: 20, label: "u2" }),
        call("5", "safe", { ms: 30, label: "s3" }),
        call("6", "safe", { ms: 30, label: "s4" }),
      ],
      registry,
      opts(),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true]);
    const byName = new Map(log.map((l) => [l.name, l]));
    for (const unsafe of ["u1", "u2"]) {
      const u = byName.get(unsafe)!;
      for (const other of log.filter((l) => l.name !== unsafe)) {
        const overlaps = other.start < u.end && u.start < other.end;
        expect(overlaps, `${unsafe} overlaps ${other.name}`).toBe(false);
      }
    }
    // Order is kept around the unsafe calls: s1/s2 before u1, u1 before u2, u2 before s3/s4.
    expect(byName.get("u1")!.start).toBeGreaterThanOrEqual(byName.get("s1")!.end);
    expect(byName.get("u2")!.start).toBeGreaterThanOrEqual(byName.get("u1")!.end);
    expect(byName.get("s3")!.start).toBeGreaterThanOrEqual(byName.get("u2")!.end);
    // The safe calls after the unsafe ones still run together.
    expect(byName.get("s4")!.start).toBeLessThan(byName.get("s3")!.end);
  });

  it("gives each call an idempotency key of turnId:callId and the turn's identifiers", async () => {
    const seen: unknown[] = [];
    const tool = defineTool({
      name: "ctx",
      description: "records its context",
      parameters: z.object({}),
      parallelSafe: true,
      idempotent: true,
      timeoutMs: 1_000,
      async run(_args, ctx) {
        seen.push({ key: ctx.idempotencyKey, turn: ctx.turnId, session: ctx.sessionId, call: ctx.callId });
        return "done";
      },
    });
    const [result] = await runToolCalls([{ id: "c-9", name: "ctx", arguments: "" }], createToolRegistry([tool]), opts());
    expect(result).toMatchObject({ ok: true, content: "done" });
    expect(seen).toEqual([{ key: "turn-1:c-9", turn: "turn-1", session: "session-1", call: "c-9" }]);
  });
});

describe("runToolCalls cancellation", () => {
  it("cancels running and not-yet-started calls promptly when the turn signal aborts", async () => {
    const turn = new AbortController();
    const firstStarted = deferred();
    const log: { name: string; start: number; end: number }[] = [];
    const registry = createToolRegistry([waitTool("safe", true, log), waitTool("unsafe", false, log)]);
    const startedIds: string[] = [];
    const running = runToolCalls(
      [call("1", "safe", { ms: 10_000 }), call("2", "safe", { ms: 10_000 }), call("3", "unsafe", { ms: 10 })],
      registry,
      {
        ...opts(turn.signal),
        onStart: (c) => {
          startedIds.push(c.id);
          firstStarted.resolve();
        },
      },
    );
    await firstStarted.promise;
    const abortedAt = performance.now();
    turn.abort();
    const results = await running;
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(results.map((r) => [r.callId, r.ok, r.errorKind])).toEqual([
      ["1", false, "cancelled"],
      ["2", false, "cancelled"],
      ["3", false, "cancelled"],
    ]);
    expect(results[2]!.content).toBe('Error: tool "unsafe" was cancelled because the turn was cancelled');
    expect(startedIds).toEqual(["1", "2"]); // the unsafe call never started
    expect(log).toEqual([]); // and nothing ran to completion
  });

  it("starts nothing when the turn is already cancelled, yet returns a result for every call", async () => {
    const turn = new AbortController();
    turn.abort();
    let starts = 0;
    const results = await runToolCalls(
      [call("1", "safe", { ms: 10 }), call("2", "unsafe", { ms: 10 })],
      createToolRegistry([waitTool("safe", true), waitTool("unsafe", false)]),
      { ...opts(turn.signal), onStart: () => void starts++ },
    );
    expect(results.map((r) => r.errorKind)).toEqual(["cancelled", "cancelled"]);
    expect(starts).toBe(0);
  });
});
