import { limits } from "@turnq/core";
import { Ajv2020 } from "ajv/dist/2020.js";

const draft = "https://json-schema.org/draft/2020-12/schema";
const options = { strict: false, logger: false, validateFormats: false } as const;
// Built on first use, not at import. Compiling against a shared instance costs about 5 ms; a new
// instance about 35 ms (it compiles the meta-schemas again).
let shared: Ajv2020 | undefined;

/**
 * Why an HTTP tool's `parameters` cannot be used as its arguments schema; undefined when it can. It
 * must be a JSON Schema (draft 2020-12, the dialect of MCP tool schemas) describing an object, within
 * limits.toolParametersBytes, that Ajv compiles: a meta-schema check, then every `$ref` resolved
 * inside the schema (nothing is fetched) and every `pattern` a valid regular expression. Only agent
 * creation runs this; turn submission never does.
 */
export function parametersProblem(schema: Record<string, unknown>): string | undefined {
  const text = JSON.stringify(schema);
  if (Buffer.byteLength(text) > limits.toolParametersBytes) return `parameters must serialise to at most ${limits.toolParametersBytes} bytes`;
  if (schema["type"] !== "object") return 'parameters must be a JSON Schema of an object: set "type": "object" at its top';
  const dialect = schema["$schema"];
  if (dialect !== undefined && dialect !== draft && dialect !== `${draft}#`) {
    return `parameters are read as JSON Schema draft 2020-12; remove "$schema" or set it to ${draft}`;
  }
  // A schema naming itself with $id is registered under that id: give it an instance of its own, so
  // it can neither collide with nor replace what the shared one holds.
  const ajv = text.includes('"$id"') ? new Ajv2020(options) : (shared ??= new Ajv2020(options));
  try {
    if (!ajv.validateSchema(schema)) return `parameters is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: "parameters" })}`;
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return `parameters is not a usable JSON Schema: ${(err as Error).message}`;
  } finally {
    ajv.removeSchema(schema);
  }
}
