import { builtinToolNames } from "@turnq/core";
import { createHttpGetTool, currentTimeTool, type Tool } from "@turnq/tools";

/**
 * The code tools an agent can name in its `tools` list. To add your own: write it in its own file in
 * this folder with `defineTool` from @turnq/tools (name, description, zod parameters, parallelSafe,
 * idempotent, timeoutMs, run), add it to the list below, and add its name to `builtinToolNames` in
 * @turnq/core (the API refuses agents that name a tool not listed there). Tools receive
 * `ctx.idempotencyKey` (turn id + call id), stable across redeliveries: pass it on to anything with
 * side effects.
 */
export function createCodeTools(): Map<string, Tool> {
  const tools: Tool[] = [currentTimeTool, createHttpGetTool()];
  assertMatchesContract(tools.map((t) => t.name));
  return new Map(tools.map((t) => [t.name, t]));
}

/** The API accepts an agent only if its tools are listed in core; a mismatch stops the worker at start. */
function assertMatchesContract(names: string[]): void {
  const listed = new Set<string>(builtinToolNames);
  const missing = [...listed].filter((n) => !names.includes(n));
  const unlisted = names.filter((n) => !listed.has(n));
  if (missing.length > 0 || unlisted.length > 0) {
    throw new Error(
      `The worker's code tools do not match builtinToolNames in packages/core/src/tool-contract.ts` +
        (missing.length > 0 ? `; listed but not in the catalog: ${missing.join(", ")}` : "") +
        (unlisted.length > 0 ? `; in the catalog but not listed: ${unlisted.join(", ")}` : "") +
        ". Keep both lists the same.",
    );
  }
}
