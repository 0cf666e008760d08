import { apiEnvSchema, startApi } from "@turnq/api";
import { createClient, isTurnqApiError, TurnqApiError, verifyWebhook, type TurnqEvent } from "@turnq/client";
import { build, stop } from "esbuild";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkedFetch, OpenApiChecker } from "../support/openapi-check.ts";
import { readSse } from "../support/sse.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";

describe("@turnq/client against the running API", () => {
  let sys: TestSystem;
  let proxy: TcpProxy;
  let checker: OpenApiChecker;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1, apiEnv: { WEBHOOK_ALLOW_PRIVATE: "true" }, workerEnv: { WEBHOOK_ALLOW_PRIVATE: "true" } });
    receiver = await startWebhookReceiver();
    proxy = await startTcpProxy(sys.api.url);
    checker = new OpenApiChecker((await (await fetch(`${sys.api.url}/openapi.json`)).json()) as Record<string, unknown>);
  });
  afterAll(async () => {
    await receiver?.close();
    await proxy?.close();
    await sys?.stop();
  });

  it("calls every route once, each answer as the OpenAPI document describes it", async () => {
    const client = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key, fetch: checkedFetch(checker) });
    const hook = await client.webhooks.create({ url: receiver.url, events: ["turn.completed"] });
    const agent = await client.agents.create({ name: "clock", tools: ["current_time"] });
    const v2 = await client.agents.update(agent.id, { name: "clock", tools: ["current_time"], systemPrompt: "Be brief." });
    expect((await client.agents.get(agent.id, { version: 1 })).version).toBe(1);
    expect(v2.version).toBe(2);
    const session = await client.sessions.create({ agentId: agent.id, metadata: { user: "u1" } });
    expect((await client.sessions.get(session.id)).agentId).toBe(agent.id);

    const done = await client.turns.send(session.id, "time? [[sim tools=current_time]]", { wait: true });
    expect(done).toMatchObject({ status: "completed", output: expect.any(String) });
    const events: TurnqEvent[] = [];
    for await (const e of client.turns.stream(done.id)) events.push(e);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["tool.started", "tool.finished", "message", "turn.status"]));
    for (const e of events) if (e.type !== "gap") checker.checkEvent(e.type, withoutEventId(e));

    const queued = await client.turns.send(session.id, "later [[sim delay=300]]");
    expect((await client.turns.get(queued.id)).id).toBe(queued.id);
    expect((await client.turns.wait(queued.id)).status).toBe("completed");
    expect((await client.turns.cancel(queued.id)).status).toBe("completed");

    const log = [];
    for await (const m of client.sessions.allMessages(session.id, { pageSize: 2 })) log.push(m.seq);
    expect(log).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect((await client.sessions.messages(session.id, { after: 1, limit: 1 })).data[0]?.seq).toBe(2);

    const sessionEvents: TurnqEvent[] = [];
    for await (const e of client.sessions.stream(session.id)) {
      sessionEvents.push(e);
      if (e.type === "turn.status" && e.turnId === queued.id && e.status === "completed") break;
    }
    expect(sessionEvents.filter((e) => e.type === "turn.status" && e.status === "completed")).toHaveLength(2);

    // The console's reads.
    expect((await client.sessions.list({ limit: 1 })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await client.sessions.turns(session.id, { limit: 1 })).nextBefore).toEqual(expect.any(Number));
    expect((await client.sessions.turns(session.id, { open: true })).data).toEqual([]);
    expect((await client.turns.timeline(done.id)).entries.map((e) => e.kind)).toContain("tool");
    expect((await client.agents.list()).data.map((a) => [a.id, a.version])).toEqual([[agent.id, 2]]);
    expect((await client.agents.versions(agent.id)).data.map((a) => a.version)).toEqual([2, 1]);
    expect((await client.system.fleet({ minutes: 5 })).minutes).toBe(5);

    // Webhooks: the deliveries of both turns, one verified with the endpoint's secret and redelivered.
    await receiver.waitFor((all) => all.length >= 2, 60_000, "both turns' webhooks");
    const received = receiver.received[0]!;
    const event = await verifyWebhook(hook.secret, received.headers as Record<string, string>, received.body);
    expect([event.type, [done.id, queued.id]]).toEqual(["turn.completed", expect.arrayContaining([event.data.turn.id])]);
    let deliveries = await client.webhooks.deliveries(hook.id, { limit: 10 });
    for (const deadline = Date.now() + 30_000; deliveries.data.some((d) => d.status !== "delivered") && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      deliveries = await client.webhooks.deliveries(hook.id, { limit: 10 });
    }
    expect(deliveries.data.map((d) => d.status)).toEqual(["delivered", "delivered"]);
    expect((await client.webhooks.redeliver(hook.id, deliveries.data[0]!.id)).status).toBe("pending");
    expect((await client.webhooks.list()).data.map((w) => w.id)).toEqual([hook.id]);
    expect((await client.webhooks.update(hook.id, { enabled: false })).enabled).toBe(false);
    expect((await client.webhooks.get(hook.id)).enabled).toBe(false);
    await client.webhooks.delete(hook.id);
    expect(await client.webhooks.get(hook.id).catch((e: TurnqApiError) => e.code)).toBe("not_found");

    expect(await client.system.health()).toEqual({ status: "ok" });
    expect((await client.system.ready()).status).toBe("ready");
    // Telemetry is not started in the tests' API: the text is empty, but it is the route's answer.
    expect(await client.system.metrics()).toBeTypeOf("string");
    expect((await client.system.openapi())["openapi"]).toMatch(/^3\.1/);

    const unanswered = checker.operationIds().filter((id) => ![...(checker.covered.get(id) ?? [])].some((s) => s < 300));
    expect(unanswered).toEqual([]);
  });

  it("sends its API key; without one the API answers 401 unauthorized, and onUnauthorized hears of it", async () => {
    const anonymous = createClient({ baseUrl: sys.api.url, fetch: checkedFetch(checker) });
    expect(await anonymous.sessions.list().catch((e: TurnqApiError) => [e.status, e.code])).toEqual([401, "unauthorized"]);
    const told: unknown[] = [];
    const onUnauthorized = (e: TurnqApiError) => told.push([e.status, e.code]);
    const wrong = createClient({ baseUrl: sys.api.url, apiKey: "tq_not_a_key", fetch: checkedFetch(checker), onUnauthorized });
    expect(await wrong.agents.list().catch((e: TurnqApiError) => [e.status, e.code])).toEqual([401, "unauthorized"]);
    // A stream refused for its key ends at once (sending it again cannot help), and says so too.
    const refused = wrong.sessions.stream("ses_00000000000000000000000000", { retryBaseMs: 50 })[Symbol.asyncIterator]().next();
    await expect(refused).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    expect(told).toEqual([[401, "unauthorized"], [401, "unauthorized"]]);
    // Other errors are not about the key.
    const good = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key, onUnauthorized });
    expect(await good.sessions.get("ses_00000000000000000000000000").catch((e: TurnqApiError) => e.code)).toBe("not_found");
    expect(told).toHaveLength(2);
  });

  it("sends the key in the Authorization header only, with no cookies and past any HTTP cache, streams included", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const client = createClient({
      baseUrl: sys.api.url,
      apiKey: sys.tenant.key,
      fetch: (input, init) => (sent.push({ url: String(input), init: init ?? {} }), fetch(input, init)),
    });
    const session = await client.sessions.create({ metadata: { purpose: "headers" } });
    const turn = await client.turns.send(session.id, "hi", { wait: true });
    for await (const _ of client.turns.stream(turn.id));
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual(["/v1/sessions", `/v1/sessions/${session.id}/turns`, `/v1/turns/${turn.id}/events`]);
    for (const { url, init } of sent) {
      expect(init).toMatchObject({ credentials: "omit", cache: "no-store" });
      expect(new Headers(init.headers).get("authorization")).toBe(`Bearer ${sys.tenant.key}`);
      expect(url).not.toContain(sys.tenant.key);
      expect(String(init.body ?? "")).not.toContain(sys.tenant.key);
    }
  });

  it("throws TurnqApiError carrying the problem's code, status and body", async () => {
    const client = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key, fetch: checkedFetch(checker) });
    const missing = await client.sessions.get("ses_00000000000000000000000000").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TurnqApiError);
    expect(missing).toMatchObject({ status: 404, code: "not_found", body: { code: "not_found", status: 404 } });

    const invalid = await client.sessions.create({ tokenBudget: -1 }).catch((e: unknown) => e as TurnqApiError);
    expect(invalid).toMatchObject({ status: 422, code: "validation_failed" });
    expect((invalid as TurnqApiError).body).toMatchObject({ errors: [expect.objectContaining({ path: "tokenBudget" })] });

    const session = await client.sessions.create();
    const first = await client.turns.send(session.id, "hold [[sim delay=2000]]");
    const busy = await client.turns.send(session.id, "now", { onBusy: "reject" }).catch((e: unknown) => e as TurnqApiError);
    expect(busy).toMatchObject({ status: 409, code: "session_busy", body: { turnId: first.id } });
    await expect(client.turns.stream("turn_00000000000000000000000000")[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: "not_found" });
    await client.turns.wait(first.id);
  });

  it("resumes a turn stream cut mid-turn twice with no gap and no duplicate", async () => {
    const client = createClient({ baseUrl: proxy.url, apiKey: sys.tenant.key });
    const session = await client.sessions.create();
    const turn = await client.turns.send(session.id, "stream slowly [[sim delay=4000 words=120]]");
    const seen: TurnqEvent[] = [];
    const reconnects: (string | undefined)[] = [];
    const states: string[] = [];
    let deltasSinceCut = 0;
    let cuts = 0;
    let finalSeenBeforeLastCut = false;
    const stream = client.turns.stream(turn.id, {
      retryBaseMs: 50,
      onReconnect: (r) => (reconnects.push(r.lastEventId), states.push("reconnecting")),
      onOpen: () => states.push("open"),
    });
    for await (const e of stream) {
      seen.push(e);
      if (e.type === "message.delta" && ++deltasSinceCut === 2 && cuts < 2) {
        expect(proxy.cutAll()).toBeGreaterThan(0);
        cuts++;
        deltasSinceCut = 0;
        finalSeenBeforeLastCut = seen.some((x) => x.type === "turn.status" && x.status === "completed");
      }
    }
    expect(cuts).toBe(2);
    expect(finalSeenBeforeLastCut).toBe(false);
    expect(reconnects.length).toBeGreaterThanOrEqual(2);
    expect(reconnects.every((id) => id !== undefined)).toBe(true);
    // What a live indicator shows: open, then reconnecting and open again after each cut.
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(["open", "reconnecting", "open", "reconnecting", "open"]);

    // The whole stream, read afterwards straight from the API in one connection.
    const reference = await readSse(`${sys.api.url}/v1/turns/${turn.id}/events`);
    expect(seen.map((e) => e.eventId)).toEqual(reference.map((e) => e.id));
    expect(seen.map(withoutEventId)).toEqual(reference.map((e) => e.data));
    expect(seen.at(-1)).toMatchObject({ type: "turn.status", status: "completed" });
    const text = seen.flatMap((e) => (e.type === "message.delta" ? [e.text] : [])).join("");
    expect(text).toBe((await client.turns.get(turn.id)).output);
  });

  it("resumes a session stream after a cut, each durable message once", async () => {
    const client = createClient({ baseUrl: proxy.url, apiKey: sys.tenant.key });
    const session = await client.sessions.create();
    const a = await client.turns.send(session.id, "one [[sim delay=1500 words=40]]");
    const b = await client.turns.send(session.id, "two [[sim delay=1500 words=40]]");
    const seen: TurnqEvent[] = [];
    let cut = false;
    for await (const e of client.sessions.stream(session.id, { retryBaseMs: 50 })) {
      seen.push(e);
      if (!cut && e.type === "message" && e.turnId === a.id) {
        proxy.cutAll();
        cut = true;
      }
      if (e.type === "turn.status" && e.turnId === b.id && e.status === "completed") break;
    }
    const reference = await readSse(`${sys.api.url}/v1/sessions/${session.id}/events`, {
      until: (e) => e.event === "turn.status" && e.data.turnId === b.id && e.data.status === "completed",
    });
    expect(cut).toBe(true);
    expect(seen.map((e) => e.eventId)).toEqual(reference.map((e) => e.id));
    const seqs = seen.flatMap((e) => (e.type === "message" ? [e.seq] : []));
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it("waits out a 429 when reconnecting a stream, then resumes where it left off", async () => {
    // A second API on the same database and queues whose key bucket holds 4 requests, one more each 10 s.
    const env = { DATABASE_URL: sys.db.url, REDIS_URL: sys.redisUrl, TURNQ_PREFIX: sys.prefix, PORT: "0", DB_POOL_MAX: "2" };
    const limited = await startApi(apiEnvSchema.parse({ ...env, RATE_LIMIT_KEY_BURST: "4", RATE_LIMIT_KEY_PER_SECOND: "0.1" }), pino({ level: "warn" }));
    const limitedProxy = await startTcpProxy(limited.url);
    try {
      const tenant = await sys.newTenant();
      const client = createClient({ baseUrl: limitedProxy.url, apiKey: tenant.key });
      const session = await client.sessions.create();
      const turn = await client.turns.send(session.id, "slowly [[sim delay=3000 words=60]]");
      const seen: TurnqEvent[] = [];
      const reconnects: { error: unknown; delayMs: number }[] = [];
      let refusal: unknown;
      for await (const e of client.turns.stream(turn.id, { retryBaseMs: 50, onReconnect: (r) => reconnects.push(r) })) {
        seen.push(e);
        if (refusal === undefined && e.type === "message.delta") {
          // Spend what is left of the bucket, then drop the connection: reconnecting is refused until a request refills.
          for (let i = 0; i < 10 && refusal === undefined; i++) refusal = await client.sessions.get(session.id).then(() => undefined, (err: unknown) => err);
          expect(refusal).toMatchObject({ status: 429, code: "rate_limited" });
          expect(limitedProxy.cutAll()).toBeGreaterThan(0);
        }
      }
      const refusedReconnect = reconnects.find((r) => isTurnqApiError(r.error) && r.error.code === "rate_limited");
      expect(refusedReconnect).toBeDefined();
      expect((refusedReconnect!.error as TurnqApiError).retryAfterMs).toBeGreaterThanOrEqual(1_000);
      expect(refusedReconnect!.delayMs).toBeGreaterThanOrEqual((refusedReconnect!.error as TurnqApiError).retryAfterMs!);
      // Nothing lost or repeated across the refusal.
      const reference = await readSse(`${sys.api.url}/v1/turns/${turn.id}/events`, { headers: { authorization: `Bearer ${tenant.key}` } });
      expect(seen.map((e) => e.eventId)).toEqual(reference.map((e) => e.id));
      expect(seen.at(-1)).toMatchObject({ type: "turn.status", status: "completed" });
    } finally {
      await limitedProxy.close();
      await limited.close();
    }
  });

  it("stops streams and long-polls when their AbortSignal fires", async () => {
    const client = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key });
    const session = await client.sessions.create();
    const turn = await client.turns.send(session.id, "slow [[sim delay=3000]]");
    const abort = new AbortController();
    const waiting = client.turns.wait(turn.id, { signal: abort.signal });
    const streaming = (async () => {
      for await (const _ of client.sessions.stream(session.id, { signal: abort.signal }));
    })();
    abort.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    await expect(streaming).rejects.toThrow("stop");
    await client.turns.wait(turn.id);
  });

  it("bundles for the browser: the main entry uses no Node module", async () => {
    const out = await build({ entryPoints: ["packages/client/src/index.ts"], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" }).finally(() => stop());
    expect(out.errors).toEqual([]);
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bnode:|\bprocess\.|\bBuffer\b|require\(/);
  });
});

function withoutEventId(e: TurnqEvent): unknown {
  const { eventId: _, ...data } = e as TurnqEvent & { eventId?: string };
  return data;
}
