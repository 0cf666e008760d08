import { randomBytes } from "node:crypto";
import { builtinToolNames, createSecretBox } from "@turnq/core";
import { createHttpTool, createToolRegistry, type Tool } from "@turnq/tools";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { agentBody as agentSchema, toConfig } from "../../apps/api/src/agent-body.ts";
import { createCodeTools } from "../../apps/worker/src/tools/catalog.ts";
import { agentBody } from "../support/hostile-requests.ts";

/**
 * The API's agent rules and the worker's agree: every agent body the API accepts builds, in the
 * worker's own code, into a tool registry holding every tool it names. Pure, no I/O: the worker's
 * catalog and tool constructors are called as the worker calls them.
 */
describe("agent configuration contract", () => {
  const codeTools = createCodeTools();
  const box = createSecretBox([{ id: "k1", key: randomBytes(32) }]);
  afterAll(async () => {
    await Promise.all([...codeTools.values()].map((t) => t.close?.()));
  });

  it("the worker's catalog holds exactly the built-in tools the API accepts", () => {
    expect([...codeTools.keys()].sort()).toEqual([...builtinToolNames].sort());
  });

  it("builds every accepted agent into the tools it names", async () => {
    let accepted = 0;
    const seed = Number(process.env.EDGE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    await fc.assert(
      fc.asyncProperty(agentBody, async (body) => {
        const parsed = agentSchema.safeParse(JSON.parse(JSON.stringify(body)));
        if (!parsed.success) return;
        accepted++;
        const config = toConfig(parsed.data, box);
        // Headers are sealed as the API stores them and opened as the worker's catalog does.
        const http = config.httpTools.map(({ sealedHeaders, headerNames: _names, ...decl }) =>
          createHttpTool({ ...decl, headers: sealedHeaders === undefined ? undefined : (JSON.parse(box.open(sealedHeaders)) as Record<string, string>) }),
        );
        const registry = createToolRegistry([...config.tools.map((n) => codeTools.get(n) as Tool), ...http]);
        expect([...registry.names()].sort()).toEqual([...config.tools, ...config.httpTools.map((t) => t.name)].sort());
        await registry.close();
      }),
      { numRuns: 300, seed },
    );
    // The generator must reach the accepting side often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(30);
  });
});
