import type { Tool, ToolSpec } from "./tool.ts";

export interface ToolRegistry {
  get(name: string): Tool | undefined;
  /** The specs to send to the model. The same frozen array on every call: nothing is re-serialised per turn. */
  specs(): readonly ToolSpec[];
  names(): readonly string[];
  /** Closes every tool that holds resources (HTTP connection pools). */
  close(): Promise<void>;
}

export function createToolRegistry(tools: readonly Tool[]): ToolRegistry {
  const byName = new Map<string, Tool>();
  for (const tool of tools) {
    // Two tools with one name would make the model's choice ambiguous; fail at startup, not mid-turn.
    if (byName.has(tool.name)) {
      throw new Error(`duplicate tool name "${tool.name}": each tool in a registry needs a unique name`);
    }
    byName.set(tool.name, tool);
  }
  const specs = Object.freeze(tools.map((t) => t.spec));
  const names = Object.freeze(tools.map((t) => t.name));

  return {
    get: (name) => byName.get(name),
    specs: () => specs,
    names: () => names,
    async close() {
      await Promise.all(tools.map((t) => t.close?.()));
    },
  };
}
