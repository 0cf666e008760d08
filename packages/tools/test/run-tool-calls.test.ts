import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createToolRegistry, defineTool, runToolCalls, type ToolCall, type ToolResult } from "../src/index.ts";
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

describe("runToolCalls failures become results, never rejections", () => {
  const boom = defineTool({
    name: "boom",
    description: "throws",
    parameters: z.object({ sync: z.boolean() }),
    parallelSafe: true,
    idempotent: true,
    timeoutMs: 1_000,
    run({ sync }) {
      if (sync) throw new Error("sync kaboom");
      return Promise.reject(new Error("async kaboom"));
    },
  });
  const stuck = defineTool({
    name: "stuck",
    description: "never finishes and ignores its signal",
    parameters: z.object({}),
    parallelSafe: true,
    idempotent: true,
    timeoutMs: 50,
    run: () => new Promise(() => {}),
  });
  const typed = defineTool({
    name: "typed",
    description: "needs a count",
    parameters: z.object({ count: z.number().int().min(1) }),
    parallelSafe: true,
    idempotent: true,
    timeoutMs: 1_000,
    async run({ count }) {
      return count;
    },
  });
  const registry = createToolRegistry([boom, stuck, typed]);
  const one = async (c: ToolCall): Promise<ToolResult> => (await runToolCalls([c], registry, opts()))[0]!;

  it("reports an unknown tool with the available names", async () => {
    const r = await one(call("1", "nope", {}));
    expect(r).toMatchObject({ ok: false, errorKind: "unknown_tool", callId: "1", name: "nope" });
    expect(r.content).toBe('Error: unknown tool "nope". Available tools: boom, stuck, typed.');
  });

  it("reports arguments that are not valid JSON", async () => {
    const r = await one({ id: "1", name: "typed", arguments: '{"count": ' });
    expect(r).toMatchObject({ ok: false, errorKind: "invalid_arguments" });
    expect(r.content).toMatch(/^Error: arguments for tool "typed" are not valid JSON: /);
  });

  it("reports arguments that violate the schema with the offending path", async () => {
    const r = await one(call("1", "typed", { count: 0 }));
    expect(r).toMatchObject({ ok: false, errorKind: "invalid_arguments" });
    expect(r.content).toMatch(/^Error: invalid arguments for tool "typed": count: /);
  });

  it("reports a tool that throws synchronously or rejects", async () => {
    const [a, b] = await runToolCalls([call("1", "boom", { sync: true }), call("2", "boom", { sync: false })], registry, opts());
    expect(a).toMatchObject({ ok: false, errorKind: "error", content: 'Error: tool "boom" failed: sync kaboom' });
    expect(b).toMatchObject({ ok: false, errorKind: "error", content: 'Error: tool "boom" failed: async kaboom' });
  });

  it("reports a timeout even when the tool ignores its signal", async () => {
    const started = performance.now();
    const r = await one(call("1", "stuck", {}));
    expect(r).toMatchObject({ ok: false, errorKind: "timeout", content: 'Error: tool "stuck" timed out after 50 ms' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("aborts the tool's own signal when it times out", async () => {
    const aborted = deferred<boolean>();
    const polite = defineTool({
      name: "polite",
      description: "waits for its signal",
      parameters: z.object({}),
      parallelSafe: false,
      idempotent: true,
      timeoutMs: 30,
      run: (_a, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => (aborted.resolve(true), reject(ctx.signal.reason))),
        ),
    });
    const [r] = await runToolCalls([call("1", "polite", {})], createToolRegistry([polite]), opts());
    expect(r).toMatchObject({ errorKind: "timeout" });
    expect(await aborted.promise).toBe(true);
  });

  it("reports a result that cannot be serialised as JSON", async () => {
    const big = defineTool({
      name: "bigint",
      description: "returns a bigint",
      parameters: z.object({}),
      parallelSafe: true,
      idempotent: true,
      timeoutMs: 1_000,
      run: async () => ({ n: 1n }),
    });
    const [r] = await runToolCalls([call("1", "bigint", {})], createToolRegistry([big]), opts());
    expect(r).toMatchObject({ ok: false, errorKind: "error" });
    expect(r!.content).toMatch(/not JSON-serialisable/);
  });

  it("caps result content at 64 KiB and marks the truncation", async () => {
    const huge = defineTool({
      name: "huge",
      description: "returns 200 KB",
      parameters: z.object({}),
      parallelSafe: true,
      idempotent: true,
      timeoutMs: 1_000,
      run: async () => "é".repeat(100_000),
    });
    const [r] = await runToolCalls([call("1", "huge", {})], createToolRegistry([huge]), opts());
    expect(r!.ok).toBe(true);
    expect(Buffer.byteLength(r!.content)).toBeLessThanOrEqual(64 * 1024);
    expect(r!.content).toMatch(/…\[truncated: result was 200000 bytes, showing the first 65536\]$/);
    expect(r!.content).not.toContain("\uFFFD"); // no character cut in half
  });

  it("keeps every result when an observer callback throws", async () => {
    const results = await runToolCalls([call("1", "typed", { count: 2 }), call("2", "nope", {})], registry, {
      ...opts(),
      onStart: () => {
        throw new Error("observer bug");
      },
      onFinish: () => {
        throw new Error("observer bug");
      },
    });
    expect(results.map((r) => [r.ok, r.content])).toEqual([
      [true, "2"],
      [false, 'Error: unknown tool "nope". Available tools: boom, stuck, typed.'],
    ]);
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
