import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

type Json = Record<string, any>;

/**
 * Checks real answers against the OpenAPI document the API serves: each JSON body against the
 * schema documented for its operation, status and content type; each SSE event's data against
 * `x-turnq-events`. Records which operations were answered, so a test can require them all.
 */
export class OpenApiChecker {
  readonly covered = new Map<string, Set<number>>();
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  private readonly routes: { method: string; template: string; pattern: RegExp; operationId: string }[];

  readonly doc: Json;

  constructor(doc: Json) {
    this.doc = doc;
    this.ajv.addSchema(doc, "openapi");
    this.routes = Object.entries(doc.paths as Json).flatMap(([template, ops]) =>
      Object.entries(ops as Json).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
        operationId: (op as Json).operationId as string,
      })),
    );
  }

  /** Throws, naming what differs, unless the answer is what the document says this request gets. */
  checkResponse(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    const path = new URL(url, "http://x").pathname;
    const route = this.routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(path));
    if (!route) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    const response = this.doc.paths[route.template][method.toLowerCase()].responses[String(status)];
    if (!response) throw new Error(`${method} ${path} answered ${status}, which the document does not list for ${route.operationId}`);
    const type = (contentType ?? "").split(";")[0]!.trim();
    if (!response.content) {
      // An answer documented without a body (204): Hono labels its empty body text/plain.
      if (body != null && body !== "") throw new Error(`${route.operationId} ${status} has a body; documented: none`);
    } else if (!response.content?.[type]) throw new Error(`${route.operationId} ${status} answered ${type}; documented: ${Object.keys(response.content ?? {}).join(", ")}`);
    if (response.content && type.endsWith("json")) {
      const pointer = ["paths", route.template, method.toLowerCase(), "responses", String(status), "content", type, "schema"].map(escape).join("/");
      this.validate(`openapi#/${pointer}`, body, `${route.operationId} ${status}`);
    }
    const seen = this.covered.get(route.operationId) ?? new Set<number>();
    seen.add(status);
    this.covered.set(route.operationId, seen);
  }

  /** Like checkResponse, for requests to a documented operation; others (unknown paths) pass. */
  checkIfDocumented(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    const path = new URL(url, "http://x").pathname;
    if (this.routes.some((r) => r.method === method.toUpperCase() && r.pattern.test(path))) this.checkResponse(method, url, status, contentType, body);
  }

  /** Throws unless `data` is what the document says an SSE event of this name carries. */
  checkEvent(name: string, data: unknown): void {
    if (!this.doc["x-turnq-events"][name]) throw new Error(`SSE event "${name}" is not in the document's x-turnq-events`);
    this.validate(`openapi#/x-turnq-events/${escape(name)}`, data, `event ${name}`);
  }

  operationIds(): string[] {
    return this.routes.map((r) => r.operationId);
  }

  private validate(ref: string, value: unknown, what: string): void {
    const v: ValidateFunction | undefined = this.ajv.getSchema(ref);
    if (!v) throw new Error(`no schema at ${ref}`);
    if (!v(value)) throw new Error(`${what} does not match the document: ${this.ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 2_000)}`);
  }
}

function escape(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** A fetch that checks every answer (JSON bodies read from a clone) before handing it on. */
export function checkedFetch(checker: OpenApiChecker): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const res = await fetch(req);
    const type = res.headers.get("content-type");
    const body = type?.includes("json") ? await res.clone().json() : undefined;
    checker.checkResponse(req.method, req.url, res.status, type, body);
    return res;
  };
}
