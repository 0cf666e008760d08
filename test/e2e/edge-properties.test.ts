import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostileRequest, rawHostileRequest, type Fixtures, type HostileRequest } from "../support/hostile-requests.ts";
import { createSession, post, withApiKey } from "../support/http.ts";
import { rawRequest, withRawApiKey } from "../support/raw-http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { tableSnapshot } from "../support/table-snapshot.ts";

/**
 * Property: whatever a client sends to whichever route, the API answers within a deadline, never
 * with a 5xx, every 4xx is problem+json with a code, and a refused request changes no row of any
 * table. Seeded (EDGE_SEED=… replays a run; a failure prints its seed and counterexample), bounded
 * in runs so the file stays well under a minute on a busy machine.
 */
const seed = Number(process.env.EDGE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const requestDeadlineMs = 15_000;

describe("the edge, under generated hostile requests", () => {
  let sys: TestSystem;
  let fx: Fixtures;
  beforeAll(async () => {
    // No workers: accepted turns stay queued, so nothing but the requests themselves changes rows.
    sys = await startSystem({ workers: 0, apiEnv: { HTTP_REQUEST_TIMEOUT_MS: "2000" } });
    const session = await createSession(sys.api.url);
    const turn = await post(sys.api.url, `/v1/sessions/${session}/turns`, { input: "hi" });
    const agent = await post(sys.api.url, "/v1/agents", { name: "fixture", tools: ["current_time"] });
    expect([turn.status, agent.status]).toEqual([202, 201]);
    fx = { session, turn: turn.body.id, agent: agent.body.id };
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const check = async <T>(arb: fc.Arbitrary<T>, numRuns: number, send: (x: T) => Promise<{ status: number; type: string; body: string }>) => {
    const failure = await fc.check(
      fc.asyncProperty(arb, async (x) => {
        const before = await tableSnapshot(sys.db);
        const res = await send(x);
        expect(res.status, res.body).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.type, res.body).toBe("application/problem+json");
          if (res.body !== "") {
            const problem = JSON.parse(res.body) as { status: number; code: string; type: string; detail: string };
            expect(problem).toMatchObject({ status: res.status, type: `urn:turnq:error:${problem.code}` });
            expect(typeof problem.detail).toBe("string");
          }
          expect(await tableSnapshot(sys.db), `${res.status} ${res.body}`).toEqual(before);
        }
      }),
      // No shrinking: each run is real requests on a busy machine; the seed and path replay the case.
      { numRuns, seed, endOnFailure: true },
    );
    if (failure.failed) {
      const example = JSON.stringify(failure.counterexample, (_k, v) => (v?.type === "Buffer" ? Buffer.from(v.data).toString("latin1").slice(0, 500) : v));
      throw new Error(
        `EDGE_SEED=${seed} (path ${failure.counterexamplePath}) fails: ${(failure.errorInstance as Error)?.message}\ncounterexample: ${example.slice(0, 2_000)}`,
      );
    }
  };

  it("answers every generated request to every route within its deadline, no 5xx, problem+json on 4xx, nothing stored when refused", async () => {
    await check(hostileRequest(fx), 400, (req) => send(sys.api.url, req));
  });

  it("answers raw, malformed HTTP/1.x in problem+json (or not at all when it cannot), never hangs", async () => {
    await check(rawHostileRequest, 150, async (bytes) => {
      const res = await rawRequest(sys.api.url, Buffer.from(withRawApiKey(bytes, sys.tenant.key), "latin1"), requestDeadlineMs);
      return { status: res.status, type: res.headers["content-type"] ?? "", body: res.body };
    });
  });
});

/** One request with a deadline; event streams are checked by their head, then closed. */
async function send(base: string, req: HostileRequest): Promise<{ status: number; type: string; body: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${requestDeadlineMs} ms`)), requestDeadlineMs);
  try {
    const res = await fetch(base + req.path, {
      method: req.method,
      headers: withApiKey(base, req.headers),
      ...(req.body ? { body: req.body } : {}),
      signal: abort.signal,
    });
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("text/event-stream")) {
      abort.abort();
      return { status: res.status, type, body: "" };
    }
    return { status: res.status, type, body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
