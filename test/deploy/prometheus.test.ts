import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn, withApiKey } from "../support/http.ts";
import { keyForApi } from "../support/tenants.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { redisUrl } from "../support/services.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { freePort } from "../support/free-port.ts";
import { STARTUP_MS } from "./support/bundles.ts";
import { readYaml, root } from "./support/manifests.ts";
import { requireBinary, startPrometheus, type RunningPrometheus } from "./support/prometheus.ts";

const ALERTS = "deploy/prometheus/alerts.yml";
const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/turnq.json`, "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
const dashboardExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
const alertExprs = (readYaml(ALERTS).groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules);
/** Metric names an expression reads (turnq's and the GenAI conventions'), label lists left out. */
const metricNames = (expr: string) => [
  ...new Set(expr.replace(/\b(?:by|without)\s*\([^)]*\)|\{[^}]*\}/g, "").match(/\b(?:turnq|gen_ai)_[a-z0-9_]+\b/g) ?? []),
];
/** Grafana's range variables, as a dashboard would send them. */
const grafanaVars = (expr: string) => expr.replaceAll("$__rate_interval", "1m").replaceAll("$__range", "5m");

describe("the alert rules", () => {
  it("pass promtool check rules", () => {
    const r = spawnSync(requireBinary("promtool"), ["check", "rules", ALERTS], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 5 rules found/);
  });

  it("fire on the series they are meant for, and not before (promtool test rules)", () => {
    const r = spawnSync(requireBinary("promtool"), ["test", "rules", "alerts.test.yml"], { cwd: `${root}deploy/prometheus`, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

/**
 * A real Prometheus scraping a running API and worker (started as the e2e tests start them) through a
 * day in miniature: a turn Redis loses before any worker runs (the reconciler repairs it), a plain
 * turn, a turn whose LLM call is refused, and one with a tool call. Every metric the alerts and the
 * dashboard read must then be among the scraped series, and every rule and panel query must run.
 */
describe("Prometheus scraping a running API and worker", () => {
  const prefix = `t${randomBytes(4).toString("hex")}`;
  let db: TestDatabase;
  let sim: Simulator;
  let prom: RunningPrometheus | undefined;
  let tenantId = "";
  const started: AppProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    const common = { DATABASE_URL: db.url, REDIS_URL: redisUrl(), TURNQ_PREFIX: prefix, DB_POOL_MAX: "4" };
    const apiPort = await freePort();
    const api = startProcess("api", "apps/api/src/main.ts", { ...common, OTEL_SERVICE_NAME: "turnq-api", PORT: String(apiPort) }, TELEMETRY_ARGS);
    started.push(api);
    await api.waitForLine(/turnq api listening/, STARTUP_MS);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    tenantId = (await keyForApi(db.db, apiUrl)).tenant.id;

    // Accepted while no worker runs, then lost by Redis: only the reconciler can bring it back.
    const lost = await post(apiUrl, `/v1/sessions/${await createSession(apiUrl)}/turns`, { input: "lost and found" });
    expect(lost.status).toBe(202);
    expect(await deleteKeys(redisUrl(), prefix)).toBeGreaterThan(0);

    // Prometheus runs before the worker starts, so it sees the repair counter go from 0 to 1.
    const metricsPort = await freePort();
    prom = await startPrometheus({ "turnq-api": `127.0.0.1:${apiPort}`, "turnq-worker": `127.0.0.1:${metricsPort}` }, [`${root}${ALERTS}`]);
    const worker = startProcess(
      "worker",
      "apps/worker/src/main.ts",
      {
        ...common,
        OTEL_SERVICE_NAME: "turnq-worker",
        LLM_BASE_URL: sim.url,
        METRICS_PORT: String(metricsPort),
        // The first pass comes a few scrapes after start.
        RECONCILE_INTERVAL_MS: "5000",
        RECONCILE_MIN_AGE_MS: "500",
      },
      TELEMETRY_ARGS,
    );
    started.push(worker);
    await worker.waitForLine(/turnq worker started/, STARTUP_MS);
    expect((await waitTurn(apiUrl, lost.body.id)).status).toBe("completed");
    const agent = await post(apiUrl, "/v1/agents", { name: "clock", tools: ["current_time"] });
    expect(agent.status).toBe(201);
    const clockSession = await post(apiUrl, "/v1/sessions", { agentId: agent.body.id });
    for (const [session, input, status] of [
      [await createSession(apiUrl), "hello", "completed"],
      [await createSession(apiUrl), "refused [[sim error=400]]", "failed"],
      [clockSession.body.id as string, "what time is it? [[sim tools=current_time]]", "completed"],
    ] as const) {
      const turn = await post(apiUrl, `/v1/sessions/${session}/turns`, { input });
      const done = await waitTurn(apiUrl, turn.body.id);
      expect(done.status, JSON.stringify(done)).toBe(status);
    }
    const log = await (await fetch(`${apiUrl}/v1/sessions/${clockSession.body.id}/messages`, { headers: withApiKey(apiUrl) })).json() as { data: { role: string }[] };
    expect(log.data.map((m) => m.role), "the clock turn called its tool").toContain("tool");
  }, 4 * STARTUP_MS);

  afterAll(async () => {
    await prom?.stop();
    await Promise.all(started.map((p) => p.stop("SIGKILL")));
    await sim?.close();
    await db?.drop();
    await deleteKeys(redisUrl(), prefix).catch(() => 0);
  });

  it("scrapes both processes and returns turnq's series", async () => {
    await expect.poll(async () => (await prom!.query("up")).data.result.map((r) => [r.metric.job, r.value[1]]).sort(), { timeout: 30_000 }).toEqual([
      ["turnq-api", "1"],
      ["turnq-worker", "1"],
    ]);
    // Four turns finished on the worker; the queue gauges come from both processes.
    await expect.poll(async () => Number((await prom!.query("sum(turnq_turn_duration_count)")).data.result[0]?.value[1]), { timeout: 20_000 }).toBe(4);
    // Every turn metric names its tenant.
    const byTenant = await prom!.query("sum by (turnq_tenant_id) (turnq_turn_duration_count)");
    expect(byTenant.data.result.map((r) => [r.metric.turnq_tenant_id, r.value[1]])).toEqual([[tenantId, "4"]]);
    const depth = await prom!.query("count by (job) (turnq_queue_depth)");
    expect(depth.data.result.map((r) => r.metric.job).sort()).toEqual(["turnq-api", "turnq-worker"]);
    const repairs = await prom!.query("sum(turnq_reconciler_repairs_total)");
    expect(Number(repairs.data.result[0]?.value[1])).toBeGreaterThanOrEqual(1);
    const refused = await prom!.query('sum(turnq_errors_total{turnq_error_code="llm_rejected"})');
    expect(Number(refused.data.result[0]?.value[1])).toBe(1);
  });

  it("has every metric the alerts and the dashboard read", async () => {
    const names = new Set((await (await fetch(`${prom!.url}/api/v1/label/__name__/values`)).json() as { data: string[] }).data);
    const used = [...alertExprs.map((r) => r.expr), ...dashboardExprs.map((d) => d.expr)].flatMap(metricNames);
    expect(used.length).toBeGreaterThan(10);
    expect([...new Set(used)].filter((n) => !names.has(n))).toEqual([]);
  });

  it("evaluates every alert rule; only the repair alert fires, for the session Redis lost", async () => {
    await expect
      .poll(async () => {
        const res = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as any;
        return res.data.groups.flatMap((g: any) => g.rules).map((r: any) => [r.name, r.health]);
      }, { timeout: 30_000 })
      .toEqual(alertExprs.map((r) => [r.alert, "ok"]));
    const alerts = async () => {
      const res = (await (await fetch(`${prom!.url}/api/v1/alerts`)).json()) as any;
      return res.data.alerts.filter((a: any) => a.state === "firing").map((a: any) => a.labels.alertname);
    };
    // Others may be pending (the lost turn did wait long for its repair); none has held for its `for:`.
    await expect.poll(alerts, { timeout: 30_000 }).toEqual(["TurnqReconcilerRepairs"]);
  });

  it("answers every dashboard query with data", async () => {
    for (const { panel, expr } of dashboardExprs) {
      // Rates need two scrapes in their window: give each query a few.
      await expect
        .poll(async () => {
          const r = await prom!.query(grafanaVars(expr));
          return r.status === "success" ? r.data.result.length > 0 : r.error;
        }, { timeout: 20_000, message: `${panel}: ${expr}` })
        .toBe(true);
    }
  });
});
