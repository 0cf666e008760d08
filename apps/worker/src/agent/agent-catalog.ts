import { createSecretScrubber, DEFAULT_AGENT_LIMITS, type SecretBox } from "@turnq/core";
import { getAgent, type AgentConfig, type Db } from "@turnq/db";
import type { ToolSpec } from "@turnq/llm";
import { createHttpTool, createToolRegistry, type Tool, type ToolRegistry } from "@turnq/tools";

/** An agent version made ready to run: prompt and tool definitions built once, then reused. */
export interface ResolvedAgent {
  id: string | null;
  version: number | null;
  name: string;
  model: string;
  summaryModel: string;
  systemPrompt: string;
  registry: ToolRegistry;
  specs: ToolSpec[];
  limits: AgentConfig["limits"];
  /** Scrubs this agent's secrets (the worker's LLM key, its HTTP tools' header values) from error text. */
  scrub(text: string): string;
  /** Closes what this version created (its HTTP tools' connection pools); shared code tools stay open. */
  close(): Promise<void>;
}

export interface AgentCatalog {
  /** The agent's latest version; the configured default when `agentId` is null (no read then). */
  forAgent(agentId: string | null): Promise<ResolvedAgent>;
  close(): Promise<void>;
}

/**
 * Resolves a session's agent (latest version) and keeps a bounded cache of resolved versions, so
 * tool schemas are serialised once per agent version, never per call; a new version is a new entry.
 */
export function createAgentCatalog(deps: {
  db: Db;
  codeTools: Map<string, Tool>;
  defaults: { model: string; systemPrompt: string };
  maxEntries?: number;
  /** Operators running tools on their own network opt in explicitly (HTTP_TOOLS_ALLOW_PRIVATE). */
  allowPrivateHttpTools?: boolean;
  onUnknownTool?: (agentId: string, name: string) => void;
  /** Secrets every agent's error text is scrubbed of (the LLM API key; later, the tenant's keys). */
  secrets?: ReadonlyArray<string | undefined>;
  /** Opens HTTP tool headers sealed by the API (TURNQ_ENCRYPTION_KEY). */
  box?: SecretBox | undefined;
}): AgentCatalog {
  const cache = new Map<string, ResolvedAgent>();
  const max = deps.maxEntries ?? 500;
  const fallback = resolve(null, null, "default", {
    model: "",
    systemPrompt: deps.defaults.systemPrompt,
    tools: [],
    httpTools: [],
    limits: { ...DEFAULT_AGENT_LIMITS },
  });

  /** The headers in memory only, for the tools that send them; never logged (errors name the key, not a value). */
  function openHeaders(sealed: string | undefined): Record<string, string> | undefined {
    if (sealed === undefined) return undefined;
    if (!deps.box) throw new Error("This agent's HTTP tool headers are encrypted; set TURNQ_ENCRYPTION_KEY on the worker (the API's value).");
    return JSON.parse(deps.box.open(sealed)) as Record<string, string>;
  }

  function resolve(id: string | null, version: number | null, name: string, config: AgentConfig): ResolvedAgent {
    const tools: Tool[] = [];
    for (const toolName of config.tools) {
      const tool = deps.codeTools.get(toolName);
      if (tool) tools.push(tool);
      else deps.onUnknownTool?.(id ?? "default", toolName);
    }
    const decls = config.httpTools.map(({ sealedHeaders, headerNames: _names, ...decl }) => ({ ...decl, headers: decl.headers ?? openHeaders(sealedHeaders) }));
    const own = decls.map((decl) => createHttpTool({ ...decl, allowPrivateAddresses: deps.allowPrivateHttpTools ?? false }));
    tools.push(...own);
    const registry = createToolRegistry(tools);
    const model = config.model || deps.defaults.model;
    const secrets = createSecretScrubber(deps.secrets);
    for (const decl of decls) secrets.add(...Object.values(decl.headers ?? {}));
    return {
      id,
      version,
      name,
      model,
      summaryModel: config.summaryModel || model,
      systemPrompt: config.systemPrompt,
      registry,
      specs: registry.specs().map((s) => ({ name: s.name, description: s.description, parameters: s.parameters })),
      limits: config.limits,
      scrub: secrets.scrub,
      close: async () => void (await Promise.all(own.map((t) => t.close()))),
    };
  }

  return {
    async forAgent(agentId) {
      if (!agentId) return fallback;
      const row = await getAgent(deps.db, agentId);
      if (!row) return fallback;
      const key = `${row.id}@${row.version}`;
      let agent = cache.get(key);
      if (!agent) {
        agent = resolve(row.id, row.version, row.name, row.config);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value as string;
          void cache.get(oldest)?.close();
          cache.delete(oldest);
        }
        cache.set(key, agent);
      }
      return agent;
    },
    async close() {
      await Promise.all([...cache.values()].map((a) => a.close()));
      cache.clear();
    },
  };
}
