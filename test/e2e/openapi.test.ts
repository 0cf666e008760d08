import type { ApiDeps } from "../../apps/api/src/deps.ts";
import { createApp } from "@turnq/api";
import { errorCodes, httpStatusOf } from "@turnq/core";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkedFetch, OpenApiChecker } from "../support/openapi-check.ts";
import { readSse } from "../support/sse.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { waitForDelivery } from "../support/webhooks.ts";

/** `METHOD /path/{param}` of every route Hono serves (middleware entries are method ALL). */
function servedRoutes(): Set<string> {
  const app = createApp({} as ApiDeps);
  return new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`));
}

function documentedRoutes(doc: any): Set<string> {
  return new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`)));
}

describe("GET /openapi.json", () => {
  let sys: TestSystem;
  let doc: any;
  let checker: OpenApiChecker;
  let call: typeof fetch;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1, apiEnv: { WEBHOOK_ALLOW_PRIVATE: "true" }, workerEnv: { WEBHOOK_ALLOW_PRIVATE: "true" } });
    receiver = await startWebhookReceiver();
    const res = await fetch(`${sys.api.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
    checker = new OpenApiChecker(doc);
    checker.checkResponse("GET", "/openapi.json", res.status, res.headers.get("content-type"), doc);
    call = checkedFetch(checker);
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.stop();
  });

  it("documents every route the app serves, and serves every route it documents", () => {
    expect([...documentedRoutes(doc)].sort()).toEqual([...servedRoutes()].sort());
  });

  it("is OpenAPI 3.1 whose every schema compiles and every $ref resolves", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, "openapi");
    for (const name of Object.keys(doc.components.schemas)) expect(ajv.getSchema(`openapi#/components/schemas/${name}`), name).toBeTypeOf("function");
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
  });

  it("lists every error code with its status, and each operation's errors under their status", () => {
    expect(doc.components.schemas.ErrorCode.enum).toEqual([...errorCodes]);
    expect(doc["x-turnq-error-statuses"]).toEqual(Object.fromEntries(errorCodes.map((c) => [c, httpStatusOf(c)])));
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        for (const [status, r] of Object.entries<any>(op.responses)) {
          const codes: string[] | undefined = r.content?.["application/problem+json"]?.schema.allOf?.[1].properties.code.enum;
          for (const code of codes ?? []) expect(httpStatusOf(code as never), `${method} ${path} ${status} ${code}`).toBe(Number(status));
        }
        if (path.startsWith("/v1/")) {
          expect(op.security, `${method} ${path}`).toBeUndefined(); // the document's default: bearer
          expect(op.responses["401"], `${method} ${path}`).toBeDefined();
        } else expect(op.security).toEqual([]);
      }
    }
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });

  it("describes the real answers of every operation, errors and live events included", async () => {
    const base = sys.api.url;
    const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      call(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${sys.tenant.key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }).then(async (r): Promise<{ status: number; body: any }> => ({ status: r.status, body: r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text() }));

    const hook = await json("POST", "/v1/webhooks", { url: receiver.url, events: ["turn.completed"], description: "contract" });
    expect([hook.status, hook.body.secret]).toEqual([201, expect.stringMatching(/^whsec_/)]);
    const agent = await json("POST", "/v1/agents", { name: "clock", tools: ["current_time"], limits: { maxIterations: 4 } });
    expect(agent.status).toBe(201);
    expect((await json("PUT", `/v1/agents/${agent.body.id}`, { name: "clock", tools: ["current_time"], model: "m2" })).status).toBe(200);
    expect((await json("GET", `/v1/agents/${agent.body.id}?version=1`)).status).toBe(200);
    const session = await json("POST", "/v1/sessions", { agentId: agent.body.id, metadata: { user: "u1", tags: ["a", { b: null }] } });
    expect(session.status).toBe(201);
    const sid = session.body.id as string;
    expect((await json("GET", `/v1/sessions/${sid}`)).status).toBe(200);

    // A turn with tool calls, waited for in the same request; its events read from the turn stream.
    const first = await json("POST", `/v1/sessions/${sid}/turns`, { input: "time? [[sim tools=current_time]]" }, { prefer: "wait=30" });
    expect([first.status, first.body.status]).toEqual([200, "completed"]);
    const turnEvents = await readSse(`${base}/v1/turns/${first.body.id}/events`);
    expect(turnEvents.map((e) => e.event)).toEqual(expect.arrayContaining(["turn.status", "tool.started", "tool.finished", "message"]));
    for (const e of turnEvents) checker.checkEvent(e.event, e.data);
    checker.checkResponse("GET", `/v1/turns/${first.body.id}/events`, 200, "text/event-stream", undefined);

    // A slow turn, one queued behind it (queuePosition), then the queued one cancelled.
    const slow = await json("POST", `/v1/sessions/${sid}/turns`, { input: "slow [[sim delay=1500 words=40]]" });
    const queued = await json("POST", `/v1/sessions/${sid}/turns`, { input: "behind" }, { "idempotency-key": "k-1" });
    expect([slow.status, queued.status]).toEqual([202, 202]);
    const replay = await json("POST", `/v1/sessions/${sid}/turns`, { input: "behind" }, { "idempotency-key": "k-1" });
    expect(replay.body.id).toBe(queued.body.id);
    const waiting = await json("GET", `/v1/turns/${queued.body.id}`);
    expect(waiting.body).toMatchObject({ status: "queued", queuePosition: expect.any(Number) });
    const busy = await json("POST", `/v1/sessions/${sid}/turns`, { input: "now", onBusy: "reject" });
    expect([busy.status, busy.body.code]).toEqual([409, "session_busy"]);
    expect((await json("POST", `/v1/turns/${queued.body.id}/cancel`)).body.status).toBe("cancelled");
    expect((await json("GET", `/v1/turns/${slow.body.id}`, undefined, { prefer: "wait=30" })).body.status).toBe("completed");

    const sessionEvents = await readSse(`${base}/v1/sessions/${sid}/events`, {
      until: (e) => e.event === "turn.status" && e.data.turnId === slow.body.id && e.data.status === "completed",
    });
    expect(sessionEvents.map((e) => e.event)).toContain("message.delta");
    for (const e of sessionEvents) checker.checkEvent(e.event, e.data);
    checker.checkResponse("GET", `/v1/sessions/${sid}/events`, 200, "text/event-stream", undefined);

    // The console's reads.
    expect((await json("GET", "/v1/sessions?limit=1")).body.data).toHaveLength(1);
    expect((await json("GET", `/v1/sessions?active=true&agentId=${agent.body.id}`)).status).toBe(200);
    expect((await json("GET", `/v1/sessions/${sid}/turns?limit=2`)).body.nextBefore).toEqual(expect.any(Number));
    expect((await json("GET", `/v1/sessions/${sid}/turns?open=true`)).status).toBe(200);
    expect((await json("GET", `/v1/turns/${first.body.id}/timeline`)).body.entries.map((e: any) => e.kind)).toContain("llm_call");
    expect((await json("GET", "/v1/agents?limit=10")).body.data[0].id).toBe(agent.body.id);
    expect((await json("GET", `/v1/agents/${agent.body.id}/versions`)).body.data).toHaveLength(2);
    expect((await json("GET", "/v1/fleet?minutes=5")).body.workers).toHaveLength(1);

    // Webhooks: the first turn's delivery, redelivered; the endpoint read, changed, deleted.
    const delivered = await waitForDelivery(base, hook.body.id, first.body.id, (d) => d.status === "delivered");
    expect((await json("GET", `/v1/webhooks/${hook.body.id}/deliveries?limit=5`)).body.data[0].id).toBeDefined();
    expect((await json("POST", `/v1/webhooks/${hook.body.id}/deliveries/${delivered.id}/redeliver`)).status).toBe(202);
    expect((await json("GET", "/v1/webhooks")).body.data).toHaveLength(1);
    expect((await json("GET", `/v1/webhooks/${hook.body.id}`)).body.secret).toBeUndefined();
    expect((await json("PATCH", `/v1/webhooks/${hook.body.id}`, { enabled: false })).body.enabled).toBe(false);
    expect((await json("PATCH", `/v1/webhooks/${hook.body.id}`, {})).status).toBe(422);
    expect((await json("DELETE", `/v1/webhooks/${hook.body.id}`)).status).toBe(204);
    expect((await json("GET", `/v1/webhooks/${hook.body.id}`)).status).toBe(404);

    const page = await json("GET", `/v1/sessions/${sid}/messages?limit=2`);
    expect(page.body.nextAfter).toBe(2);
    expect((await json("GET", `/v1/sessions/${sid}/messages?after=2`)).status).toBe(200);

    // Errors: each through the same check.
    expect((await json("GET", "/v1/sessions/ses_00000000000000000000000000")).status).toBe(404);
    expect((await json("POST", "/v1/sessions", "{nope")).status).toBe(400);
    expect((await json("POST", "/v1/sessions", { tokenBudget: -1 })).status).toBe(422);
    expect((await json("POST", "/v1/agents", { name: "x", tools: ["nope"] })).status).toBe(422);
    expect((await json("POST", `/v1/sessions/${sid}/turns`, "x", { "content-type": "text/plain" })).status).toBe(415);
    expect((await json("GET", `/v1/sessions/${sid}/messages?limit=0`)).status).toBe(400);
    expect((await json("PUT", "/v1/agents/agt_nope", { name: "x" })).status).toBe(404);

    const anonymous = await json("GET", "/v1/sessions", undefined, { authorization: "" });
    expect([anonymous.status, anonymous.body.code]).toEqual([401, "unauthorized"]);

    expect((await json("GET", "/healthz")).status).toBe(200);
    expect((await json("GET", "/readyz")).status).toBe(200);
    expect((await json("GET", "/metrics")).status).toBe(200);
    expect((await json("GET", "/openapi.json")).status).toBe(200);

    const unanswered = checker.operationIds().filter((id) => ![...(checker.covered.get(id) ?? [])].some((s) => s < 300));
    expect(unanswered).toEqual([]);
  });
});
