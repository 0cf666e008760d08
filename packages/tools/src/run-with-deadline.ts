import { linkedSignal } from "@turnq/core";
import type { Tool, ToolContext } from "./tool.ts";

export type Outcome =
  | { type: "value"; value: unknown }
  | { type: "thrown"; error: unknown }
  | { type: "aborted" }
  | { type: "timeout" }
  | { type: "cancelled" };

/**
 * Runs the tool with its own signal (turn signal + its timeout) and stops waiting the moment that signal
 * fires, even if the tool ignores it: a stuck tool must not hold the turn hostage.
 */
export async function runWithDeadline(tool: Tool, args: unknown, ctx: ToolContext): Promise<Exclude<Outcome, { type: "aborted" }>> {
  const turnSignal = ctx.signal;
  const linked = linkedSignal([turnSignal], { ms: tool.timeoutMs, reason: () => new Error(`timed out after ${tool.timeoutMs} ms`) });
  const signal = linked.signal;
  let onAbort = (): void => {};
  const aborted = new Promise<Outcome>((resolve) => {
    onAbort = () => resolve({ type: "aborted" });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([
      // The executor (not the tool) is what turns a synchronous throw into a result.
      new Promise<unknown>((resolve) => resolve(tool.run(args, { ...ctx, signal }))).then(
        (value): Outcome => ({ type: "value", value }),
        (error: unknown): Outcome => ({ type: "thrown", error }),
      ),
      aborted,
    ]);
    // A throw after the abort is the tool reporting the abort (AbortError), not a bug of its own.
    if (outcome.type === "aborted" || (outcome.type === "thrown" && signal.aborted)) {
      return turnSignal.aborted ? { type: "cancelled" } : { type: "timeout" };
    }
    return outcome;
  } finally {
    linked.dispose();
    signal.removeEventListener("abort", onAbort);
  }
}
