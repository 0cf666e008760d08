import { z } from "zod";
import {
  assertTimeout,
  assertToolName,
  freezeDeep,
  type JsonSchema,
  type Tool,
  type ToolContext,
  type ValidationResult,
} from "./tool.ts";

/**
 * A code tool, written by a team in one file:
 *
 * ```ts
 * export const lookupOrder = defineTool({
 *   name: "lookup_order",
 *   description: "Fetch an order by id.",
 *   parameters: z.object({ orderId: z.string() }),
 *   parallelSafe: true,   // reads only: fine to run alongside other calls
 *   idempotent: true,     // safe to re-run if a crash left the outcome unknown
 *   timeoutMs: 5_000,
 *   async run({ orderId }, ctx) { return orders.get(orderId, { signal: ctx.signal }); },
 * });
 * ```
 *
 * `run` receives arguments already validated by `parameters`; whatever it returns is JSON-serialised for
 * the model (strings are passed through as they are). A throw becomes an error result the model sees,
 * not a failed turn. Honour `ctx.signal`: it fires on timeout and on turn cancellation.
 */
export interface ToolDefinition<P> {
  /** ^[a-zA-Z0-9_-]{1,64}$ */
  name: string;
  description: string;
  /** Validates the model's arguments before `run`; its JSON schema is derived once, at definition. */
  parameters: z.ZodType<P>;
  parallelSafe: boolean;
  idempotent: boolean;
  timeoutMs: number;
  run(args: P, ctx: ToolContext): Promise<unknown>;
}

export function defineTool<P>(def: ToolDefinition<P>): Tool {
  assertToolName(def.name);
  assertTimeout(def.name, def.timeoutMs);
  if (def.description.trim() === "") throw new TypeError(`tool "${def.name}": description must not be empty`);

  const parameters = jsonSchemaOf(def.name, def.parameters);
  // Computed and frozen here, once: the executor and registry hand out this very object on every turn.
  const spec = freezeDeep({ name: def.name, description: def.description, parameters });
  const schema = def.parameters;
  const run = def.run;

  return {
    name: def.name,
    spec,
    parallelSafe: def.parallelSafe,
    idempotent: def.idempotent,
    timeoutMs: def.timeoutMs,
    validate(args: unknown): ValidationResult {
      const parsed = schema.safeParse(args);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: formatIssues(parsed.error) };
    },
    // `validate` produced `value` with this schema, so the cast is sound.
    run: (args: unknown, ctx: ToolContext) => run(args as P, ctx),
  };
}

function jsonSchemaOf(name: string, schema: z.ZodType): JsonSchema {
  let out: JsonSchema;
  try {
    // "input": the model produces the input side (defaults are optional for it, transforms not yet run).
    out = z.toJSONSchema(schema, { io: "input" }) as JsonSchema;
  } catch (e) {
    throw new TypeError(`tool "${name}": parameters cannot be expressed as JSON schema: ${(e as Error).message}`);
  }
  // LLM APIs want a function's parameters to be a JSON object schema.
  if (out["type"] !== "object") {
    throw new TypeError(`tool "${name}": parameters must be a z.object(...) schema`);
  }
  // The meta-schema URL is noise in every request to the model.
  delete out["$schema"];
  return out;
}

/** One line per problem, with the argument path, so the model can correct itself. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path === "" ? issue.message : `${path}: ${issue.message}`;
    })
    .join("; ");
}
