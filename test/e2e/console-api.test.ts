import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, withApiKey } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

/** The read routes the console needs, against the real API (no workers: turns stay queued). */
describe("listing routes for the console", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 0 });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("lists the caller's sessions newest first, by keyset pages, searched by id, metadata and agent", async () => {
    const base = sys.api.url;
    const agent = (await post(base, "/v1/agents", { name: "lister" })).body.id as string;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = i === 2 ? { metadata: { customer: "Globex-42" } } : i === 3 ? { agentId: agent } : {};
      ids.push((await post(base, "/v1/sessions", body)).body.id as string);
    }
    const newestFirst = [...ids].reverse();

    const first = await get(base, "/v1/sessions?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.map((s: { id: string }) => s.id)).toEqual(newestFirst.slice(0, 2));
    const second = await get(base, `/v1/sessions?limit=2&before=${first.body.nextBefore}`);
    expect(second.body.data.map((s: { id: string }) => s.id)).toEqual(newestFirst.slice(2, 4));
    const last = await get(base, `/v1/sessions?limit=2&before=${second.body.nextBefore}`);
    expect(last.body.data.map((s: { id: string }) => s.id)).toEqual(newestFirst.slice(4));
    expect(last.body.nextBefore).toBeNull();

    expect((await get(base, "/v1/sessions?q=globex")).body.data.map((s: { id: string }) => s.id)).toEqual([ids[2]]);
    expect((await get(base, `/v1/sessions?q=${ids[1]!.slice(0, 20)}`)).body.data.map((s: { id: string }) => s.id)).toContain(ids[1]);
    expect((await get(base, `/v1/sessions?agentId=${agent}`)).body.data.map((s: { id: string }) => s.id)).toEqual([ids[3]]);
    expect((await get(base, "/v1/sessions?q=100%25_")).body.data).toEqual([]); // LIKE wildcards are literal

    // Recent activity and open turns: a queued turn shows on its session and under active=true.
    const turn = await post(base, `/v1/sessions/${ids[0]}/turns`, { input: "hi" });
    expect(turn.status).toBe(202);
    const active = await get(base, "/v1/sessions?active=true");
    expect(active.body.data).toHaveLength(1);
    expect(active.body.data[0]).toMatchObject({ id: ids[0], openTurns: 1, lastTurnStatus: "queued" });
    expect(Date.parse(active.body.data[0].lastTurnAt)).toBeGreaterThan(0);
  });

  it("refuses malformed list parameters with 400 invalid_request", async () => {
    for (const q of ["before=nope", "limit=0", "limit=501", "active=maybe", `q=${"x".repeat(201)}`, "q=%01"]) {
      const r = await get(sys.api.url, `/v1/sessions?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code, q).toBe("invalid_request");
    }
  });

  it("lists a session's open turns in queue order with their position and the turn in their way", async () => {
    const base = sys.api.url;
    const session = (await post(base, "/v1/sessions", {})).body.id as string;
    const turns = [];
    for (const input of ["one", "two", "three"]) turns.push((await post(base, `/v1/sessions/${session}/turns`, { input })).body.id as string);
    const open = await get(base, `/v1/sessions/${session}/turns?open=true`);
    expect(open.body.data.map((t: { id: string }) => t.id)).toEqual(turns);
    expect(open.body.data.map((t: { queuePosition: number }) => t.queuePosition)).toEqual([0, 1, 2]);
    expect(open.body.data.map((t: { blockedBy: string | null }) => t.blockedBy)).toEqual([null, turns[0], turns[0]]);
    await post(base, `/v1/turns/${turns[1]}/cancel`, "");
    const all = await get(base, `/v1/sessions/${session}/turns?limit=2`);
    expect(all.body.data.map((t: { id: string }) => t.id)).toEqual([turns[2], turns[1]]);
    const rest = await get(base, `/v1/sessions/${session}/turns?limit=2&before=${all.body.nextBefore}`);
    expect(rest.body.data.map((t: { status: string }) => t.status)).toEqual(["queued"]);
    expect((await get(base, "/v1/sessions/ses_00000000000000000000000000/turns")).status).toBe(404);

    const timeline = await get(base, `/v1/turns/${turns[0]}/timeline`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.turn.id).toBe(turns[0]);
    expect(timeline.body.entries.map((e: { kind: string }) => e.kind)).toEqual(["submitted"]);
    expect((await get(base, "/v1/turns/turn_00000000000000000000000000/timeline")).status).toBe(404);
  });

  it("lists agents with their latest version and every version, header values never shown", async () => {
    const base = sys.api.url;
    const created = await post(base, "/v1/agents", {
      name: "versioned",
      httpTools: [{ name: "x", description: "d", url: "https://example.com/x", headers: { authorization: "Bearer list-secret-9" } }],
    });
    const id = created.body.id as string;
    await fetch(`${base}/v1/agents/${id}`, { method: "PUT", headers: withApiKey(base, { "content-type": "application/json" }), body: JSON.stringify({ name: "versioned v2" }) });
    const list = await get(base, "/v1/agents");
    expect(list.body.data[0]).toMatchObject({ id, version: 2, name: "versioned v2" });
    const versions = await get(base, `/v1/agents/${id}/versions`);
    expect(versions.body.data.map((a: { version: number }) => a.version)).toEqual([2, 1]);
    expect(versions.body.data[1].httpTools[0].headerNames).toEqual(["authorization"]);
    expect(JSON.stringify([list.body, versions.body])).not.toContain("list-secret-9");
    expect((await get(base, "/v1/agents/agt_00000000000000000000000000/versions")).status).toBe(404);
  });

  it("reports the fleet: queue counts, workers, breakers and per-minute latency from recent turns", async () => {
    const r = await get(sys.api.url, "/v1/fleet?minutes=5");
    expect(r.status).toBe(200);
    expect(r.body.shards[0].counts).toMatchObject({ wait: expect.any(Number), active: 0 });
    expect(r.body.workers).toEqual([]);
    expect(r.body.minutes).toBe(5);
    // The turns submitted above are in the window; none has started, so no wait is known yet.
    expect(r.body.series.reduce((n: number, b: { turns: number }) => n + b.turns, 0)).toBeGreaterThanOrEqual(4);
    expect(r.body.series.every((b: { queueWaitP50: number | null }) => b.queueWaitP50 === null)).toBe(true);
    expect((await get(sys.api.url, "/v1/fleet?minutes=61")).status).toBe(400);
  });
});
