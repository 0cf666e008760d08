import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConsole } from "@turnq/console/bundle";
import { createInMemoryTracing, type InMemoryTracing } from "@turnq/telemetry/testing";
import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { createDb } from "@turnq/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeldTool, type HeldTool } from "../support/held-tool.ts";
import { get, post } from "../support/http.ts";
import { seedHistory } from "../support/seed-history.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

/** Screenshots of each page land here (gitignored); CI keeps them as artifacts. */
const artifacts = join(import.meta.dirname, "../../test-results/console");
/** The system tenant's key: the page must send it in the Authorization header and nowhere else. */
let apiKey = "";
/** A key the API refuses; it too may travel in the Authorization header only. */
const refusedKey = "tq_live_0000000000000000000000000000000000000000";
/** A name for the API's loopback address, so Chromium sees a plain-http origin that is not a secure context. */
const insecureHost = "console.test";
/** The page's globals the tests read (test files are compiled without the DOM's types). */
interface PageGlobals {
  location: { protocol: string };
  isSecureContext: boolean;
  streamStates: string[];
  MutationObserver: new (onChange: () => void) => { observe(target: unknown, options: { characterData: boolean; childList: boolean; subtree: boolean }): void };
}
/** Conditions on a busy 2-core machine: generous, and polled, never slept on. */
const within = { timeout: 60_000 };

/**
 * A wait that failed says what the side column showed (the running turn, its text, the queue): on a
 * busy machine that tells a turn still listed as queued from text that never arrived.
 */
async function sayingWhatThePageShows<T>(page: Page, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    const side = await page.locator(".side-col").innerText({ timeout: 5_000 }).catch((e: Error) => `(could not be read: ${e.message})`);
    (err as Error).message += `\nThe page's side column showed:\n${side}`;
    throw err;
  }
}

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? (() => {
    try {
      return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  })();
  if (!path) throw new Error("Chromium is needed for the console tests: apt-get install -y chromium (or set CHROMIUM_PATH)");
  return path;
}

describe("the web console in a real browser", () => {
  let sys: TestSystem;
  let tool: HeldTool;
  let browser: Browser;
  let page: Page;
  let consoleDir: string;
  let tracing: InMemoryTracing;
  let proxy: TcpProxy | undefined;
  const requests: Request[] = [];

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), "turnq-console-"));
    await buildConsole({ srcDir: join(import.meta.dirname, "../../apps/console/src"), outDir: consoleDir });
    mkdirSync(artifacts, { recursive: true });
    // Turns get a trace id (and so a Jaeger link) from the API's tracer.
    tracing = createInMemoryTracing();
    tool = await startHeldTool();
    sys = await startSystem({
      workers: 1,
      apiEnv: { CONSOLE_DIR: consoleDir, JAEGER_UI_URL: "http://jaeger.example:16686" },
      // A stalled model stream (the stall directive) must outlast the test's look at it, and a turn
      // held in a tool must keep its worker's lock on a loaded machine (the test systems' 4 s lock
      // was lost once under a full suite: the turn was redelivered and the held call "outcome unknown").
      workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true", LLM_IDLE_TIMEOUT_MS: "300000", LOCK_DURATION_MS: "30000" },
    });
    apiKey = sys.tenant.key;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ["--no-sandbox", "--disable-dev-shm-usage", `--host-resolver-rules=MAP ${insecureHost} 127.0.0.1`],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(within.timeout);
    page.on("request", (r) => requests.push(r));
    // A cookie for the API's origin: the page is loaded with it, and no API request may carry it.
    await page.context().addCookies([{ name: "probe", value: "a-cookie-api-calls-must-not-carry", url: sys.api.url }]);
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await sys?.stop();
    await tool?.close();
    await tracing?.shutdown();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  it("serves the console with a strict Content-Security-Policy and hashed, immutable assets", async () => {
    const res = await get(sys.api.url, "/console");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const html = await fetch(`${sys.api.url}/console`).then((r) => r.text());
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const script = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${sys.api.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await get(sys.api.url, "/console/assets/..%2Fpackage.json")).status).toBe(404);
  });

  it("shows a session's turn streaming live with its tool calls, cancels a queued turn, and links to the turn's timeline", async () => {
    const agent = await post(sys.api.url, "/v1/agents", {
      name: "console-clock",
      systemPrompt: "Answer briefly.",
      tools: ["current_time"],
      httpTools: [{ name: "hold", description: "answers when the test says so", url: `${tool.url}/hold`, timeoutMs: 300_000, parallelSafe: true, headers: { "x-secret": "hold-header-secret-value" } }],
    });
    expect(agent.status).toBe(201);
    const session = await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id, metadata: { customer: "acme-console" } });
    const sessionId = session.body.id as string;

    // The key is asked for first, then kept in this tab only.
    await page.goto(`${sys.api.url}/console`);
    await page.fill("input[name=apiKey]", apiKey);
    await page.click("button[type=submit]");
    expect(await page.evaluate(() => sessionStorage.getItem("turnq.apiKey"))).toBe(apiKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // Sessions: found by metadata, opened by its link.
    await page.fill("input[name=q]", "acme-console");
    const link = page.locator(`a[href="#/sessions/${sessionId}"]`);
    await link.waitFor(within);
    await shot("sessions");
    await link.click();
    await page.locator("[data-testid=stream-state]", { hasText: "live" }).waitFor(within);

    // A turn that calls two tools (and a third the test holds): rows appear and finish live.
    await page.fill("textarea[name=input]", "What time is it? [[sim tools=current_time,current_time,hold]]");
    await page.click("form.send button[type=submit]");
    const live = page.locator("[data-testid=live-turn]");
    await live.waitFor(within);
    const runningTurnId = (await live.getAttribute("data-turn"))!;
    await expect.poll(() => live.locator("[data-testid=tool-row][data-state=ok]", { hasText: "current_time" }).count(), within).toBe(2);
    await live.locator("[data-testid=tool-row][data-state=running]", { hasText: "hold" }).waitFor(within);

    // A second turn queues behind it; it is shown with its position and the turn in its way, then cancelled.
    await page.fill("textarea[name=input]", "A turn to cancel while it waits");
    await page.click("form.send button[type=submit]");
    const queued = page.locator("[data-testid=queue] li");
    await queued.first().waitFor(within);
    const queuedId = (await queued.first().getAttribute("data-turn"))!;
    await expect(queued.first().textContent()).resolves.toContain("position 1");
    await expect(queued.first().textContent()).resolves.toContain(runningTurnId.slice(0, 9));
    await shot("session-running");
    await page.click(`[data-testid=cancel-${queuedId}]`);
    await expect.poll(() => queued.count(), within).toBe(0);
    expect((await get(sys.api.url, `/v1/turns/${queuedId}`)).body.status).toBe("cancelled");

    // The held tool answers; the turn completes and its answer lands in the log.
    tool.release("hold");
    await expect.poll(() => live.count(), within).toBe(0);
    await page.locator(".log .row.assistant", { hasText: "Tool results" }).waitFor(within);

    // A stalled model stream: its text deltas show while it runs; cancelled, it is logged as interrupted.
    await page.fill("textarea[name=input]", "Tell me more [[sim words=40 stall-after=3]]");
    await page.click("form.send button[type=submit]");
    await sayingWhatThePageShows(
      page,
      expect.poll(async () => ((await page.locator("[data-testid=live-text]").textContent().catch(() => "")) ?? "").trim().length, within).toBeGreaterThan(0),
    );
    await shot("session-streaming");
    await page.locator("[data-testid=live-turn] button.danger").click();
    await page.locator(".log .row .badge.warn", { hasText: "interrupted" }).waitFor(within);
    await shot("session");

    // The finished turn's link leads to its timeline: both tool calls, the LLM calls, the trace link.
    await page.locator(`[data-testid=recent-turns] a[href="#/turns/${runningTurnId}"]`).click();
    const timeline = page.locator("[data-testid=timeline]");
    await timeline.waitFor(within);
    await expect.poll(() => timeline.locator("[data-kind=tool]", { hasText: "current_time" }).count(), within).toBe(2);
    expect(await timeline.locator("[data-kind=llm_call]").count()).toBeGreaterThanOrEqual(2);
    // The user message and the tool calls are logged before the tools run, the answer at the end.
    expect(await timeline.locator("[data-kind=append]").count()).toBeGreaterThanOrEqual(2);
    expect(await timeline.locator("[data-kind=append]").first().textContent()).toContain("#1–#2");
    expect(await timeline.locator("[data-kind=append]").last().textContent()).toMatch(/#6\b/);
    expect(await page.locator("[data-testid=turn-status]").textContent()).toBe("completed");
    expect(await page.locator("[data-testid=trace-link]").getAttribute("href")).toMatch(/^http:\/\/jaeger\.example:16686\/trace\/[0-9a-f]{32}$/);
    await shot("turn");

    // Fleet and agents.
    await page.click("nav a[href='#/fleet']");
    await expect.poll(async () => Number(await page.locator("[data-testid=workers-alive]").textContent()), within).toBeGreaterThanOrEqual(1);
    await page.locator("figure.chart").first().waitFor(within);
    await shot("fleet");
    await page.click("nav a[href='#/agents']");
    await page.locator("[data-testid=agents] button", { hasText: agent.body.id }).click();
    await page.locator(".versions pre").first().waitFor(within);
    expect(await page.locator("body").textContent()).not.toContain("hold-header-secret-value");
    await shot("agents");
  });

  it("keeps a 10,000-message session light: a few dozen rows in the page, the log fetched by seq as it scrolls", async () => {
    const { db, close } = createDb(sys.db.url, { max: 2 });
    const seeded = await seedHistory(db, { count: 10_000, summaryKeep: 4_000, tenantId: sys.tenant.tenant.id }).finally(() => close());
    // The seeding turn is not meant to run.
    await post(sys.api.url, `/v1/turns/${seeded.turnId}/cancel`, "");
    const before = requests.length;
    await page.goto(`${sys.api.url}/console#/sessions/${seeded.sessionId}`);
    await page.locator(".log .row[data-seq='10000'] .msg").waitFor(within);
    expect(await page.locator(".log .row").count()).toBeLessThan(100);
    await page.locator(".log").evaluate((el) => {
      el.scrollTop = 4_999 * 60;
    });
    await page.locator(".log .row[data-seq='5000'] .msg").waitFor(within);
    // The compaction summary is shown with the seq range it covers.
    await page.locator(".log").evaluate((el) => {
      el.scrollTop = 5_999 * 60;
    });
    await page.locator(".log .row[data-seq='6000'] .badge", { hasText: "covers #1–#5999" }).waitFor(within);
    expect(await page.locator(".log .row").count()).toBeLessThan(100);
    await shot("session-10k");
    const pages = requests.slice(before).filter((r) => r.url().includes(`/v1/sessions/${seeded.sessionId}/messages`));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.length).toBeLessThanOrEqual(10);
    for (const r of pages) expect(new URL(r.url()).searchParams.get("limit")).toBe("200");
  });

  it("works from a plain-http origin that is not a secure context, and asks again for a key the API refuses", async () => {
    const session = await post(sys.api.url, "/v1/sessions", {});
    const sessionId = session.body.id as string;
    // Its own context (a fresh session storage); left open until afterAll, since the last test reads its requests' headers.
    const other = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    other.setDefaultTimeout(within.timeout);
    other.on("request", (r) => requests.push(r));
    await other.goto(`${sys.api.url.replace("127.0.0.1", insecureHost)}/console#/sessions/${sessionId}`);
    const origin = await other.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      return [page.location.protocol, page.isSecureContext];
    });
    expect(origin).toEqual(["http:", false]);
    // A refused key: the page's first call gets 401 and the key form comes back, saying so.
    await other.fill("input[name=apiKey]", refusedKey);
    await other.click("button[type=submit]");
    await other.locator(".key-form .error", { hasText: "refused" }).waitFor(within);
    expect(await other.evaluate(() => sessionStorage.getItem("turnq.apiKey"))).toBeNull();
    // The right key: the session streams live and a turn sent from the form (with its Idempotency-Key) is answered.
    await other.fill("input[name=apiKey]", apiKey);
    await other.click("button[type=submit]");
    await other.locator("[data-testid=stream-state]", { hasText: "live" }).waitFor(within);
    await other.fill("textarea[name=input]", "Hello from plain http");
    await other.click("form.send button[type=submit]");
    await other.locator(".log .row.assistant .msg").waitFor(within);
    const turns = await get(sys.api.url, `/v1/sessions/${sessionId}/turns`);
    expect(turns.body.data.map((t: { input: string; status: string }) => [t.input, t.status])).toEqual([["Hello from plain http", "completed"]]);
  });

  it("resumes a session's live stream with Last-Event-ID after the connection drops, showing it reconnecting meanwhile", async () => {
    proxy = await startTcpProxy(sys.api.url);
    const session = await post(sys.api.url, "/v1/sessions", {});
    const sessionId = session.body.id as string;
    const other = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    other.setDefaultTimeout(within.timeout);
    other.on("request", (r) => requests.push(r));
    await other.goto(`${proxy.url}/console#/sessions/${sessionId}`);
    await other.fill("input[name=apiKey]", apiKey);
    await other.click("button[type=submit]");
    const state = other.locator("[data-testid=stream-state]");
    await state.filter({ hasText: "live" }).waitFor(within);
    // Every text the indicator shows from now on (a reconnection may be over before a poll would see it).
    await state.evaluate((el) => {
      const page = globalThis as unknown as PageGlobals;
      const seen: string[] = (page.streamStates = []);
      new page.MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, { characterData: true, childList: true, subtree: true });
    });
    await other.fill("textarea[name=input]", "Before the drop");
    await other.click("form.send button[type=submit]");
    await other.locator(".log .row.assistant .msg").waitFor(within);

    const eventsPath = `/v1/sessions/${sessionId}/events`;
    const streams = () => requests.filter((r) => new URL(r.url()).pathname === eventsPath);
    expect(streams().map((r) => r.headers()["last-event-id"])).toEqual([undefined]);
    expect(proxy.cutAll()).toBeGreaterThan(0);
    await expect.poll(() => streams().length, within).toBeGreaterThanOrEqual(2);
    // Resumed after the last event the page had, not from the start.
    expect(streams()[1]!.headers()["last-event-id"]).toMatch(/~2$/);
    await state.filter({ hasText: "live" }).waitFor(within);
    expect(await other.evaluate(() => (globalThis as unknown as PageGlobals).streamStates)).toEqual(["reconnecting", "live"]);

    // The resumed stream carries the next turn into the log.
    await other.fill("textarea[name=input]", "After the drop");
    await other.click("form.send button[type=submit]");
    await other.locator(".log .row[data-seq='4'].assistant .msg").waitFor(within);
  });

  it("sent the key in the Authorization header of every API request, and nowhere else, with no cookie", async () => {
    // Every request: a key only ever in the Authorization header, and on every API call; the
    // origin's cookie on the page's own loads, never on an API call.
    const api = requests.filter((r) => new URL(r.url()).pathname.startsWith("/v1/"));
    expect(api.length).toBeGreaterThan(10);
    const bearer = [`Bearer ${apiKey}`, `Bearer ${refusedKey}`];
    let pageLoadsWithCookie = 0;
    for (const r of requests) {
      const headers = await r.allHeaders();
      for (const key of [apiKey, refusedKey]) {
        expect(r.url()).not.toContain(key);
        expect(r.postData() ?? "").not.toContain(key);
        for (const [name, value] of Object.entries(headers)) {
          if (name === "authorization") expect(bearer).toContain(value);
          else expect(value, `header ${name} of ${r.url()}`).not.toContain(key);
        }
      }
      if (api.includes(r)) {
        expect(bearer).toContain(headers.authorization);
        expect(headers.cookie, `cookie on ${r.url()}`).toBeUndefined();
      } else if (headers.cookie?.includes("probe=")) pageLoadsWithCookie++;
    }
    // The cookie was there to be sent: the console's own page and assets carried it.
    expect(pageLoadsWithCookie).toBeGreaterThan(0);
    // Every key the page sent but the refused one was the right one.
    expect(api.filter((r) => r.headers().authorization === `Bearer ${refusedKey}`).length).toBeGreaterThan(0);
  });
});
