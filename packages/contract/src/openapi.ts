import { errorCodes, httpStatusOf, type ErrorCode } from "@turnq/core";
import { z } from "zod";
import { codesByStatus, problem } from "./common.ts";
import { sseEvents, streamEvent } from "./events.ts";
import { authErrors, commonErrors, operations, type Operation } from "./operations.ts";

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document, built from the operation table and the zod schemas the routes validate
 * with. Request bodies are described as the API reads them (zod "input": defaults optional),
 * responses as it writes them ("output"). Every schema with a zod `id` becomes a named component.
 */
export function buildOpenApiDocument(opts: { version?: string; serverUrl?: string } = {}): Json {
  const components = new ComponentSet();
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operations) (paths[op.path] ??= {})[op.method] = operationObject(op, components);
  components.add(problem, "output");
  components.add(streamEvent, "output");
  const events = Object.fromEntries(Object.entries(sseEvents).map(([name, schema]) => [name, components.add(schema, "output")]));
  return {
    openapi: "3.1.1",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "turnq",
      version: opts.version ?? "0.1.0",
      description:
        "A self-hosted runtime for AI-agent conversations. Errors are application/problem+json with a stable `code` (schema ErrorCode lists each with its status). Live events are Server-Sent Events (`x-turnq-events`).",
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    tags: [
      { name: "sessions", description: "Conversations and their append-only logs." },
      { name: "turns", description: "A user message and the agent's work on it." },
      { name: "events", description: "Live progress as Server-Sent Events, resumable with Last-Event-ID." },
      { name: "agents", description: "Versioned agent configurations: model, prompt, tools, limits." },
      { name: "webhooks", description: "Signed notifications of turns that ended, sent to your endpoints, with their delivery log." },
      { name: "fleet", description: "Queue depth, workers and turn statistics (the console's fleet page)." },
      { name: "operations", description: "Probes, metrics, this document." },
    ],
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key (`tq_…`, created by an operator with the admin API): `Authorization: Bearer <key>`. It scopes every /v1 request to its tenant. A missing, unknown or revoked key is answered 401 `unauthorized`.",
        },
      },
    },
    security: [{ apiKey: [] }],
    "x-turnq-events": events,
    "x-turnq-error-statuses": Object.fromEntries(errorCodes.map((c) => [c, httpStatusOf(c)])),
  };
}

function operationObject(op: Operation, components: ComponentSet): Json {
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: "string" } }]));
    const content =
      r.contentType === "none"
        ? undefined
        : r.contentType
          ? { [r.contentType]: { schema: { type: "string" } } }
          : { "application/json": { schema: r.schema ? components.add(r.schema, "output") : { type: "object" } } };
    responses[status] = { description: r.description, ...(Object.keys(headers).length ? { headers } : {}), ...(content ? { content } : {}) };
  }
  const problemRef = components.add(problem, "output");
  for (const [status, codes] of codesByStatus([...new Set<ErrorCode>([...op.errors, ...commonErrors, ...(op.auth ? authErrors : [])])])) {
    responses[String(status)] = {
      description: `Error: ${codes.map((c) => `\`${c}\``).join(", ")}.${status === 401 ? " No `Authorization: Bearer <key>`, or a key that is unknown or revoked." : ""}`,
      ...errorHeaders(status, codes),
      content: { "application/problem+json": { schema: { allOf: [problemRef, { properties: { code: { enum: codes } } }] } } },
    };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.auth ? {} : { security: [] }),
    ...(op.parameters?.length
      ? { parameters: op.parameters.map((p) => ({ in: p.in, name: p.name, description: p.description, required: p.in === "path", schema: p.schema, example: p.example })) }
      : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            description: `JSON, at most ${op.bodyBytes} bytes, nested at most 64 deep.`,
            content: { "application/json": { schema: components.add(op.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

const header = (description: string) => ({ description, schema: { type: "string" } });

/** Headers of error answers: Retry-After on every refusal that passes; the RateLimit fields on 429; the auth challenge on 401. */
function errorHeaders(status: number, codes: ErrorCode[]): { headers?: Json } {
  const retryAfter = codes.some((c) => c === "database_unavailable" || c === "queue_full" || c === "rate_limited" || c === "session_queue_full" || c === "tenant_sessions_limit");
  const headers: Json = {
    ...(retryAfter ? { "retry-after": header("Seconds to wait before sending again.") } : {}),
    ...(status === 429
      ? {
          "ratelimit-policy": header("The limits that apply (IETF RateLimit header fields draft), e.g. `\"key\";q=100;w=1`."),
          ratelimit: header("The tightest limit's remaining quota and seconds until it resets, e.g. `\"key\";r=0;t=1`."),
        }
      : {}),
    ...(status === 401 ? { "www-authenticate": header("`Bearer` (RFC 6750), with the error.") } : {}),
  };
  return Object.keys(headers).length ? { headers } : {};
}

/**
 * Named schemas, converted once each. A zod schema's `$defs` are hoisted into components; the same
 * name met twice with a different body (say, a schema read as input and as output) is an error, so
 * the document never silently holds two meanings for one name.
 */
class ComponentSet {
  readonly schemas: Record<string, Json> = {};

  add(schema: z.ZodType, io: "input" | "output"): Json {
    const converted = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
    const defs = (converted["$defs"] ?? {}) as Record<string, Json>;
    delete converted["$defs"];
    delete converted["$schema"];
    for (const [name, def] of Object.entries(defs)) this.put(name, rewriteRefs(def) as Json);
    const root = rewriteRefs(converted) as Json;
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) return root;
    if (typeof root["$ref"] === "string" && Object.keys(root).length === 1) return root;
    this.put(id, root);
    return { $ref: `#/components/schemas/${id}` };
  }

  private put(name: string, def: Json): void {
    if (name.startsWith("__schema")) throw new Error(`An unnamed recursive schema (${name}): give it a .meta({ id }).`);
    const existing = this.schemas[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(def)) {
      throw new Error(`Schema ${name} converts differently where it is used (request vs response?); give each use its own id.`);
    }
    this.schemas[name] = def;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rewriteRefs(v)]),
  );
}
