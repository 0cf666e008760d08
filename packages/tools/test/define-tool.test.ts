import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createToolRegistry, defineTool, runToolCalls, type ToolDefinition } from "../src/index.ts";

const base: ToolDefinition<{ city: string; units?: "c" | "f" }> = {
  name: "weather",
  description: "Weather for a city.",
  parameters: z.object({ city: z.string().describe("City name"), units: z.enum(["c", "f"]).optional() }),
  parallelSafe: true,
  idempotent: true,
  timeoutMs: 1_000,
  run: async ({ city }) => ({ city, tempC: 21 }),
};

describe("defineTool", () => {
  it("derives the model-facing JSON schema from the zod schema", () => {
    const tool = defineTool(base);
    expect(tool.spec).toEqual({
      name: "weather",
      description: "Weather for a city.",
      parameters: {
        type: "object",
        properties: {
          city: { type: "string", description: "City name" },
          units: { type: "string", enum: ["c", "f"] },
        },
        required: ["city"],
      },
    });
  });

  it("computes the spec once: the same frozen object is handed out on every access and every turn", async () => {
    const tool = defineTool(base);
    const registry = createToolRegistry([tool]);
    const first = registry.specs();
    await runToolCalls([{ id: "1", name: "weather", arguments: '{"city":"Oslo"}' }], registry, {
      turnId: "t",
      sessionId: "s",
      signal: new AbortController().signal,
    });
    expect(registry.specs()).toBe(first);
    expect(registry.specs()[0]).toBe(tool.spec);
    expect(tool.spec).toBe(tool.spec);
    expect(Object.isFrozen(tool.spec.parameters)).toBe(true);
  });

  it("rejects names the LLM APIs would reject", () => {
    expect(() => defineTool({ ...base, name: "has space" })).toThrow(/invalid tool name "has space"/);
    expect(() => defineTool({ ...base, name: "x".repeat(65) })).toThrow(/invalid tool name/);
  });

  it("rejects parameters that are not an object schema", () => {
    expect(() => defineTool({ ...base, parameters: z.string() as never })).toThrow(/must be a z.object/);
  });

  it("rejects a non-positive timeout", () => {
    expect(() => defineTool({ ...base, timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/);
  });

  it("validates arguments with the zod schema and hands run the parsed value", () => {
    const tool = defineTool(base);
    expect(tool.validate({ city: "Oslo" })).toEqual({ ok: true, value: { city: "Oslo" } });
    expect(tool.validate({ city: 3 })).toMatchObject({ ok: false, message: expect.stringMatching(/^city: /) });
  });
});

describe("createToolRegistry", () => {
  it("throws on duplicate names with a message naming the tool", () => {
    expect(() => createToolRegistry([defineTool(base), defineTool(base)])).toThrow(
      'duplicate tool name "weather": each tool in a registry needs a unique name',
    );
  });

  it("finds tools by name and lists names and specs in registration order", () => {
    const a = defineTool(base);
    const b = defineTool({ ...base, name: "other" });
    const registry = createToolRegistry([a, b]);
    expect(registry.get("other")).toBe(b);
    expect(registry.get("missing")).toBeUndefined();
    expect(registry.names()).toEqual(["weather", "other"]);
    expect(registry.specs()).toEqual([a.spec, b.spec]);
  });
});
