import { createSecretScrubber } from "@turnq/core";
import { request, type Agent } from "undici";
import { anyAddress, type AddressPolicy } from "./address-policy.ts";
import { createJsonArgsValidator, isPlainObject } from "./json-args-validator.ts";
import { headerValue, readBodyCapped } from "./read-body.ts";
import { createGuardedAgent, urlProblem, type Lookup } from "./ssrf-guard.ts";
import { assertTimeout, assertToolName, freezeDeep, type JsonSchema, type Tool } from "./tool.ts";

/** A tool declared in config: the model's arguments are POSTed as JSON to `url`. */
export interface HttpToolDeclaration {
  name: string;
  description: string;
  url: string;
  /** JSON schema of the arguments object, sent to the model as is. */
  parameters: JsonSchema;
  /** Sent with every request. May hold secrets: never echoed in results or errors. */
  headers?: Record<string, string>;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 1 MiB; larger responses are refused. */
  maxResponseBytes?: number;
  /** Default false: an unknown endpoint may have side effects that must not interleave. */
  parallelSafe?: boolean;
  /** Default false. When true the endpoint is trusted to deduplicate on the Idempotency-Key header. */
  idempotent?: boolean;
  /** Operators calling services on their own network must opt in explicitly. Default false. */
  allowPrivateAddresses?: boolean;
  /** Finer-grained replacement for `allowPrivateAddresses` (wins over it). */
  isAllowedAddress?: AddressPolicy;
  lookup?: Lookup;
}

export function createHttpTool(decl: HttpToolDeclaration): Tool & { close(): Promise<void> } {
  assertToolName(decl.name);
  const timeoutMs = decl.timeoutMs ?? 10_000;
  assertTimeout(decl.name, timeoutMs);
  const url = URL.canParse(decl.url) ? new URL(decl.url) : undefined;
  const problem = url === undefined ? "not an absolute URL" : urlProblem(url);
  // The URL is not echoed: like headers, it may carry a token in its query string.
  if (problem !== undefined || url === undefined) throw new TypeError(`http tool "${decl.name}": invalid url: ${problem}`);
  if (!isPlainObject(decl.parameters) || decl.parameters["type"] !== "object") {
    throw new TypeError(`http tool "${decl.name}": parameters must be a JSON schema with "type": "object"`);
  }

  const maxBytes = decl.maxResponseBytes ?? 1024 * 1024;
  // Header names are case-insensitive: drop config's variants of the two we set, rather than send both.
  const userHeaders = Object.fromEntries(
    Object.entries(decl.headers ?? {}).filter(([k]) => !["content-type", "idempotency-key"].includes(k.toLowerCase())),
  );
  // Any 8-character piece of a header value counts as the value (see secret-scrubber.ts).
  const redact = createSecretScrubber(Object.values(decl.headers ?? {})).scrub;
  const policy = decl.isAllowedAddress ?? (decl.allowPrivateAddresses === true ? anyAddress : undefined);
  let agent: Agent | undefined;

  const spec = freezeDeep({ name: decl.name, description: decl.description, parameters: structuredClone(decl.parameters) });

  return {
    name: decl.name,
    spec,
    parallelSafe: decl.parallelSafe ?? false,
    idempotent: decl.idempotent ?? false,
    timeoutMs,
    validate: createJsonArgsValidator(decl.parameters),
    async run(args, ctx) {
      agent ??= createGuardedAgent({ isAllowedAddress: policy, lookup: decl.lookup, timeoutMs });
      try {
        const res = await request(url, {
          method: "POST",
          dispatcher: agent,
          signal: ctx.signal,
          // Ours last: config cannot accidentally replace the key that makes retries safe.
          headers: { ...userHeaders, "content-type": "application/json", "idempotency-key": ctx.idempotencyKey },
          body: JSON.stringify(args),
        });
        const text = redact(new TextDecoder().decode(await readBodyCapped(res.body, res.headers, maxBytes)));
        if (res.statusCode < 200 || res.statusCode > 299) {
          const snippet = text.length > 500 ? `${text.slice(0, 500)}…` : text;
          throw new Error(`endpoint responded with status ${res.statusCode}${snippet ? `: ${snippet}` : ""}`);
        }
        if (/\bjson\b/i.test(headerValue(res.headers, "content-type") ?? "")) {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            return text; // a service mislabelling its body still gets its text through
          }
        }
        return text;
      } catch (e) {
        // Whatever failed, the message the model (and the log) sees never contains a header value.
        throw new Error(redact(e instanceof Error ? e.message : String(e)), { cause: e });
      }
    },
    async close() {
      const a = agent;
      agent = undefined;
      // Destroy: close() would wait for a request to an endpoint that never answers.
      await a?.destroy();
    },
  };
}
