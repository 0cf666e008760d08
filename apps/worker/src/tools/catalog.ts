import { createHttpGetTool, currentTimeTool, type Tool } from "@turnq/tools";

/**
 * The code tools an agent can name in its `tools` list. To add your own: write it in its own file in
 * this folder with `defineTool` from @turnq/tools (name, description, zod parameters, parallelSafe,
 * idempotent, timeoutMs, run) and add it to the list below. Tools receive `ctx.idempotencyKey`
 * (turn id + call id), stable across redeliveries: pass it on to anything with side effects.
 */
export function createCodeTools(): Map<string, Tool> {
  const tools: Tool[] = [currentTimeTool, createHttpGetTool()];
  return new Map(tools.map((t) => [t.name, t]));
}
