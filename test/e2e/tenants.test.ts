import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, waitTurn } from "../support/http.ts";
import { startSystem, type TenantWithKey, type TestSystem } from "../support/system.ts";
import { tableSnapshot } from "../support/table-snapshot.ts";

interface Owned {
  tenant: TenantWithKey;
  session: string;
  turn: string;
  agent: string;
}

type Ids = Pick<Owned, "session" | "turn" | "agent">;

/** Every route that takes an id, as a request for the resources `ids` name. */
const routes: { name: string; send(base: string, ids: Ids, headers: Record<string, string>): ReturnType<typeof get> }[] = [
  { name: "GET session", send: (b, i, h) => get(b, `/v1/sessions/${i.session}`, h) },
  { name: "GET messages", send: (b, i, h) => get(b, `/v1/sessions/${i.session}/messages`, h) },
  { name: "POST turn", send: (b, i, h) => post(b, `/v1/sessions/${i.session}/turns`, { input: "let me in" }, h) },
  { name: "GET session events", send: (b, i, h) => get(b, `/v1/sessions/${i.session}/events`, h) },
  { name: "GET turn", send: (b, i, h) => get(b, `/v1/turns/${i.turn}`, { ...h, prefer: "wait=1" }) },
  { name: "GET turn events", send: (b, i, h) => get(b, `/v1/turns/${i.turn}/events`, h) },
  { name: "POST cancel", send: (b, i, h) => post(b, `/v1/turns/${i.turn}/cancel`, "", h) },
  { name: "GET agent", send: (b, i, h) => get(b, `/v1/agents/${i.agent}`, h) },
  { name: "GET agent version", send: (b, i, h) => get(b, `/v1/agents/${i.agent}?version=1`, h) },
  { name: "PUT agent", send: (b, i, h) => send("PUT", b, `/v1/agents/${i.agent}`, { name: "mine now" }, h) },
  { name: "POST session with agent", send: (b, i, h) => post(b, "/v1/sessions", { agentId: i.agent }, h) },
];

const never: Ids = { session: "ses_00000000000000000000000000", turn: "turn_00000000000000000000000000", agent: "agt_00000000000000000000000000" };

describe("tenants", () => {
  let sys: TestSystem;
  const owned: Owned[] = [];
  beforeAll(async () => {
    sys = await startSystem({ workers: 1 });
    const tenants = [sys.tenant, await sys.newTenant(), await sys.newTenant()];
    for (const tenant of tenants) {
      const h = tenant.headers;
      const agent = await post(sys.api.url, "/v1/agents", { name: "helper", tools: ["current_time"] }, h);
      const session = await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id }, h);
      const turn = await post(sys.api.url, `/v1/sessions/${session.body.id}/turns`, { input: "hello" }, h);
      expect([agent.status, session.status, turn.status]).toEqual([201, 201, 202]);
      expect((await waitTurn(sys.api.url, turn.body.id, 60, h)).status).toBe("completed");
      owned.push({ tenant, session: session.body.id, turn: turn.body.id, agent: agent.body.id });
    }
  }, 180_000);
  afterAll(async () => {
    await sys?.stop();
  });

  it("answers each tenant for its own sessions, turns, messages and agents", async () => {
    for (const o of owned) {
      for (const route of routes.filter((r) => !r.name.includes("events") && !r.name.startsWith("POST") && !r.name.startsWith("PUT"))) {
        const res = await route.send(sys.api.url, o, o.tenant.headers);
        expect(res.status, `${route.name}: ${JSON.stringify(res.body)}`).toBe(200);
      }
      const messages = await get(sys.api.url, `/v1/sessions/${o.session}/messages`, o.tenant.headers);
      expect(messages.body.data.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    }
  });

  it("answers another tenant's ids on every route exactly as ids that never existed, and stores nothing", { timeout: 120_000 }, async () => {
    const before = await tableSnapshot(sys.db);
    let compared = 0;
    for (const caller of owned) {
      for (const owner of owned.filter((o) => o !== caller)) {
        for (const route of routes) {
          const theirs = await route.send(sys.api.url, owner, caller.tenant.headers);
          const unknown = await route.send(sys.api.url, never, caller.tenant.headers);
          const what = `${route.name} as ${caller.tenant.tenant.name} on ${owner.tenant.tenant.name}'s ids`;
          // Creating a session with an agent that is not the caller's is a 422 naming the field; every other route 404s.
          expect(theirs.status, `${what}: ${JSON.stringify(theirs.body)}`).toBe(route.name === "POST session with agent" ? 422 : 404);
          expect(theirs.headers.get("content-type"), what).toBe("application/problem+json");
          expect(normalise(theirs.body, owner), what).toEqual(normalise(unknown.body, never));
          expect(unknown.status, what).toBe(theirs.status);
          compared++;
        }
      }
    }
    expect(compared).toBe(6 * routes.length);
    expect(await tableSnapshot(sys.db)).toEqual(before);
  });

  it("records on each turn the key that submitted it", async () => {
    const rows = await sys.db.sql<{ id: string; tenant_id: string; api_key_id: string }[]>`select id, tenant_id, api_key_id from turns`;
    for (const o of owned) {
      expect(rows.find((r) => r.id === o.turn)).toEqual({ id: o.turn, tenant_id: o.tenant.tenant.id, api_key_id: o.tenant.keyId });
    }
  });

  it("does not serve the admin API when no operator key is configured", async () => {
    const res = await get(sys.api.url, "/admin/v1/tenants", { authorization: "Bearer whatever-the-operator-key-might-be-0123456789" });
    expect(res.status).toBe(404);
  });
});

/** The body with the ids the request named replaced by placeholders: what must be equal. */
function normalise(body: unknown, ids: Ids): string {
  return JSON.stringify(body).replaceAll(ids.session, "{session}").replaceAll(ids.turn, "{turn}").replaceAll(ids.agent, "{agent}");
}

function send(method: string, base: string, path: string, body: unknown, headers: Record<string, string>) {
  return fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json().catch(() => null)) as any }));
}
