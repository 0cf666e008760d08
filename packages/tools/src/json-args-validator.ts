import type { JsonSchema, ValidationResult } from "./tool.ts";

/**
 * Minimal argument checks for tools whose schema comes from config as plain JSON schema. Full JSON
 * schema validation is the receiving service's job; here we catch what models commonly get wrong
 * (not an object, a required property missing, a property of the wrong basic type) and say so clearly.
 */
export function createJsonArgsValidator(schema: JsonSchema): (args: unknown) => ValidationResult {
  const required = Array.isArray(schema["required"]) ? schema["required"].filter((r) => typeof r === "string") : [];
  const properties = isPlainObject(schema["properties"]) ? schema["properties"] : {};

  return (args) => {
    if (!isPlainObject(args)) return { ok: false, message: "arguments must be a JSON object" };
    const problems: string[] = [];
    for (const name of required) {
      if (!(name in args)) problems.push(`${name}: required`);
    }
    for (const [name, value] of Object.entries(args)) {
      const prop = properties[name];
      const expected = isPlainObject(prop) ? prop["type"] : undefined;
      if (typeof expected === "string" && !hasJsonType(value, expected)) {
        problems.push(`${name}: expected ${expected}, got ${jsonTypeOf(value)}`);
      }
    }
    return problems.length === 0 ? { ok: true, value: args } : { ok: false, message: problems.join("; ") };
  };
}

function hasJsonType(value: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
    case "boolean":
    case "array":
    case "object":
    case "null":
      return jsonTypeOf(value) === type;
    default:
      return true; // unknown type keywords are left to the service
  }
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

export function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
