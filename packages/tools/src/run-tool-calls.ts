import { capContent, defaultMaxContentBytes, serialiseResult } from "./result-content.ts";
import { runWithDeadline } from "./run-with-deadline.ts";
import type { Tool, ToolContext } from "./tool.ts";
import type { ToolRegistry } from "./tool-registry.ts";

/** A tool call as the LLM returned it; `arguments` is the raw JSON text. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type ToolErrorKind = "unknown_tool" | "invalid_arguments" | "timeout" | "error" | "cancelled";

export interface ToolResult {
  callId: string;
  name: string;
  ok: boolean;
  /** What goes to the model: the serialised result, or an `Error: …` sentence it can act on. */
  content: string;
  errorKind?: ToolErrorKind;
  durationMs: number;
}

export interface RunToolCallsOptions {
  turnId: string;
  sessionId: string;
  /** The turn's signal: aborting it aborts running tools and cancels the ones not yet started. */
  signal: AbortSignal;
  /** Called when a call starts running (not for calls rejected before running). Throws are ignored. */
  onStart?(call: ToolCall): void;
  /** Called once per call, in completion order, with its final result. Throws are ignored. */
  onFinish?(call: ToolCall, result: ToolResult): void;
  /** Cap on each result's content, in UTF-8 bytes. Default 64 KiB. */
  maxContentBytes?: number;
  /** Clock for durations; injectable for tests. */
  now?: () => number;
  /** Runs around each tool's execution (tracing puts an `execute_tool` span here). Must call `run`. */
  wrap?<T extends { type: string }>(call: ToolCall, run: () => Promise<T>): Promise<T>;
}

type Prepared = { ready: true; tool: Tool; args: unknown } | { ready: false; kind: ToolErrorKind; message: string };

/**
 * Runs the tool calls of one LLM response and returns one result per call, in call order.
 *
 * Scheduling keeps the calls' order meaningful: consecutive parallel-safe calls run together; a call that
 * is not parallel-safe waits for everything before it and runs alone, and calls after it wait for it.
 * Nothing here rejects: every failure (unknown tool, bad JSON, bad arguments, throw, timeout, cancellation)
 * becomes an `ok: false` result, so the message log always has a result for every call.
 */
export async function runToolCalls(
  calls: readonly ToolCall[],
  registry: Pick<ToolRegistry, "get" | "names">,
  opts: RunToolCallsOptions,
): Promise<ToolResult[]> {
  const now = opts.now ?? (() => performance.now());
  const maxBytes = opts.maxContentBytes ?? defaultMaxContentBytes;
  const results = new Array<ToolResult>(calls.length);

  const finish = (i: number, call: ToolCall, r: Omit<ToolResult, "callId" | "name">): void => {
    const result: ToolResult = { callId: call.id, name: call.name, ...r, content: capContent(r.content, maxBytes) };
    results[i] = result;
    safely(() => opts.onFinish?.(call, result));
  };

  const execute = async (i: number, call: ToolCall, tool: Tool, args: unknown): Promise<void> => {
    if (opts.signal.aborted) {
      finish(i, call, failure("cancelled", cancelledMessage(call.name), 0));
      return;
    }
    safely(() => opts.onStart?.(call));
    const started = now();
    const ctx: ToolContext = {
      signal: opts.signal,
      idempotencyKey: `${opts.turnId}:${call.id}`,
      turnId: opts.turnId,
      sessionId: opts.sessionId,
      callId: call.id,
    };
    const outcome = opts.wrap ? await opts.wrap(call, () => runWithDeadline(tool, args, ctx)) : await runWithDeadline(tool, args, ctx);
    const durationMs = Math.round(now() - started);
    if (outcome.type === "value") {
      const text = serialiseResult(outcome.value);
      finish(i, call, text.ok
        ? { ok: true, content: text.text, durationMs }
        : failure("error", `Error: tool "${call.name}" returned a result that is not JSON-serialisable: ${text.message}`, durationMs));
    } else if (outcome.type === "cancelled") {
      finish(i, call, failure("cancelled", cancelledMessage(call.name), durationMs));
    } else if (outcome.type === "timeout") {
      finish(i, call, failure("timeout", `Error: tool "${call.name}" timed out after ${tool.timeoutMs} ms`, durationMs));
    } else {
      finish(i, call, failure("error", `Error: tool "${call.name}" failed: ${messageOf(outcome.error)}`, durationMs));
    }
  };

  let running: Promise<void>[] = [];
  for (const [i, call] of calls.entries()) {
    const p = prepare(call, registry);
    if (!p.ready) {
      finish(i, call, failure(p.kind, p.message, 0));
    } else if (p.tool.parallelSafe) {
      running.push(execute(i, call, p.tool, p.args));
    } else {
      // Alone: after everything before it, before everything after it.
      await Promise.all(running);
      running = [];
      await execute(i, call, p.tool, p.args);
    }
  }
  await Promise.all(running);
  return results;
}

function prepare(call: ToolCall, registry: Pick<ToolRegistry, "get" | "names">): Prepared {
  const tool = registry.get(call.name);
  if (tool === undefined) {
    const known = registry.names().join(", ");
    return { ready: false, kind: "unknown_tool", message: `Error: unknown tool "${call.name}". Available tools: ${known || "(none)"}.` };
  }
  let parsed: unknown;
  try {
    // Models send "" for tools without parameters; treat that as no arguments rather than bad JSON.
    parsed = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch (e) {
    return { ready: false, kind: "invalid_arguments", message: `Error: arguments for tool "${call.name}" are not valid JSON: ${messageOf(e)}` };
  }
  let v: ReturnType<Tool["validate"]>;
  try {
    v = tool.validate(parsed);
  } catch (e) {
    // A validator bug in one tool must not take the whole batch down.
    v = { ok: false, message: messageOf(e) };
  }
  if (!v.ok) {
    return { ready: false, kind: "invalid_arguments", message: `Error: invalid arguments for tool "${call.name}": ${v.message}` };
  }
  return { ready: true, tool, args: v.value };
}

function failure(kind: ToolErrorKind, content: string, durationMs: number): Omit<ToolResult, "callId" | "name"> {
  return { ok: false, content, errorKind: kind, durationMs };
}

function cancelledMessage(name: string): string {
  return `Error: tool "${name}" was cancelled because the turn was cancelled`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Observer callbacks are for logging and metrics; a bug in one must not lose a tool result. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Deliberately ignored: see above.
  }
}
