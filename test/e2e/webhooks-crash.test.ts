import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { aboutTurn, registerWebhook, waitForDelivery } from "../support/webhooks.ts";

/** At least once: a delivery survives the death of the worker sending it, and the loss of its job. */
describe("webhook deliveries after a crash", () => {
  let sys: TestSystem;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sys = await startSystem({
      workers: 1,
      apiEnv: { WEBHOOK_ALLOW_PRIVATE: "true" },
      workerEnv: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_TIMEOUT_MS: "30000", WEBHOOK_RECONCILE_AGE_MS: "1000" },
    });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.stop();
  });

  it("delivers when the worker sending it is SIGKILLed mid-delivery", async () => {
    const base = sys.api.url;
    const { id } = await registerWebhook(base, `${receiver.url}/crash`, ["turn.completed"]);
    // The first attempt is held open until its worker dies; the one after that is accepted.
    receiver.respond = (req) => (receiver.received.filter((r) => r.path === req.path).length === 1 ? "hang" : 200);
    const session = await createSession(base);
    const turn = await post(base, `/v1/sessions/${session}/turns`, { input: "deliver through a crash" }, { prefer: "wait=30" });
    expect(turn.body.status).toBe("completed");
    await receiver.waitFor(() => receiver.held() === 1, 60_000, "the first attempt");
    await sys.workers[0]!.stop("SIGKILL");
    await sys.startWorker("worker-2");
    const d = await waitForDelivery(base, id, turn.body.id, (x) => x.status === "delivered", 90_000);
    const got = aboutTurn(receiver.received, turn.body.id);
    expect(got).toHaveLength(2);
    expect(got.map((r) => r.headers["webhook-id"])).toEqual([d.id, d.id]);
    expect(got.map((r) => r.status)).toEqual([null, 200]);
    // The killed attempt left no log row; the one that got through did.
    expect(d.attemptLog.map((a: any) => [a.ok, a.statusCode])).toEqual([[true, 200]]);
  });

  it("delivers a delivery whose job never reached Redis (the reconciler enqueues it)", async () => {
    const base = sys.api.url;
    const { id } = await registerWebhook(base, `${receiver.url}/orphan`, ["turn.completed"]);
    receiver.respond = () => 200;
    const session = await createSession(base);
    const turn = await post(base, `/v1/sessions/${session}/turns`, { input: "orphaned delivery" }, { prefer: "wait=30" });
    await waitForDelivery(base, id, turn.body.id, (x) => x.status === "delivered");
    // As if a process died between committing a delivery and enqueueing its job: a pending row, no job.
    const [orphan] = await sys.db.sql<{ id: string }[]>`
      insert into webhook_deliveries (id, tenant_id, endpoint_id, turn_id, event, next_attempt_at)
      select turnq_new_id('whd'), tenant_id, id, ${turn.body.id}, 'turn.cancelled', now() - interval '1 minute' from webhook_endpoints where id = ${id}
      returning id`;
    expect(orphan!.id).toMatch(/^whd_[0-9a-z]{26}$/);
    await receiver.waitFor((all) => all.some((r) => r.headers["webhook-id"] === orphan!.id), 60_000, "the orphaned delivery");
    await waitForDelivery(base, id, turn.body.id, (x) => x.id === orphan!.id && x.status === "delivered");
  });
});
