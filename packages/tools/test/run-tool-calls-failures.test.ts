import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createToolRegistry, defineTool, runToolCalls, type ToolCall, type ToolResult } from "../src/index.ts";
import { deferred } from "./helpers.ts";

const opts = () => ({ turnId: "turn-1", sessionId: "session-1", signal: new AbortController().signal });
const call = (id: string, name: string, args: unknown): ToolCall => ({ id, name, arguments: JSON.stringify(args) });

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

describe("runToolCalls with a faulty custom tool", () => {
  it("turns a validator that throws into an invalid-arguments result", async () => {
    const faulty = {
      ...defineTool({
        name: "faulty",
        description: "validator bug",
        parameters: z.object({}),
        parallelSafe: true,
        idempotent: true,
        timeoutMs: 100,
        run: async () => "unreachable",
      }),
      validate: () => {
        throw new Error("validator exploded");
      },
    };
    const [r] = await runToolCalls([call("1", "faulty", {})], createToolRegistry([faulty]), opts());
    expect(r).toMatchObject({ ok: false, errorKind: "invalid_arguments", content: 'Error: invalid arguments for tool "faulty": validator exploded' });
  });
});
