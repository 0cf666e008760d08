import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "@turnq/client";

/** Standard Webhooks signing written from the specification, independently of turnq's code. */
function sign(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")}`;
}

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const body = JSON.stringify({ type: "turn.completed", timestamp: "2026-12-01T00:00:00.000Z", data: { turn: { id: "turn_x", sessionId: "ses_x", status: "completed" } } });
const now = () => Math.floor(Date.now() / 1000);
const headersFor = (ts: number, signature: string) => ({ "webhook-id": "whd_test", "webhook-timestamp": String(ts), "webhook-signature": signature });

describe("verifyWebhook", () => {
  it("accepts a webhook signed per the specification and returns the parsed event", async () => {
    const ts = now();
    const event = await verifyWebhook(secret, headersFor(ts, sign(secret, "whd_test", ts, body)), body);
    expect(event.type).toBe("turn.completed");
    expect(event.data.turn.id).toBe("turn_x");
    // The same from a fetch Headers object and from raw bytes.
    const bytes = new TextEncoder().encode(body);
    await expect(verifyWebhook(secret, new Headers(headersFor(ts, sign(secret, "whd_test", ts, body))), bytes)).resolves.toMatchObject({ type: "turn.completed" });
  });

  it("accepts any one matching signature in a space-separated list (secret rotation)", async () => {
    const ts = now();
    const other = `whsec_${randomBytes(24).toString("base64")}`;
    const list = `v1,${randomBytes(32).toString("base64")} v1a,ignored ${sign(other, "whd_test", ts, body)} ${sign(secret, "whd_test", ts, body)}`;
    await expect(verifyWebhook(secret, headersFor(ts, list), body)).resolves.toMatchObject({ type: "turn.completed" });
    await expect(verifyWebhook(secret, headersFor(ts, sign(other, "whd_test", ts, body)), body)).rejects.toThrow(/No webhook-signature matches/);
  });

  it("refuses a modified body, another id, and a signature of another version", async () => {
    const ts = now();
    const sig = sign(secret, "whd_test", ts, body);
    await expect(verifyWebhook(secret, headersFor(ts, sig), body.replace("completed", "failed"))).rejects.toBeInstanceOf(WebhookVerificationError);
    await expect(verifyWebhook(secret, { ...headersFor(ts, sig), "webhook-id": "whd_other" }, body)).rejects.toThrow(/No webhook-signature matches/);
    await expect(verifyWebhook(secret, headersFor(ts, sig.replace(/^v1,/, "v2,")), body)).rejects.toThrow(/No webhook-signature matches/);
  });

  it("refuses timestamps too old or too far ahead, even when correctly signed", async () => {
    // The verifier's clock pinned to the test's: a second that ticks over between the two readings
    // would otherwise turn +301 into +300 (this failed once in CI on a busy machine).
    const at = Date.now();
    const pinned = Math.floor(at / 1000);
    for (const ts of [pinned - 301, pinned + 301, pinned - 86_400]) {
      await expect(verifyWebhook(secret, headersFor(ts, sign(secret, "whd_test", ts, body)), body, { now: () => at })).rejects.toThrow(/more than 300 s from now/);
    }
    // 300 s either way is still inside the tolerance.
    for (const ts of [pinned - 300, pinned + 300]) {
      await expect(verifyWebhook(secret, headersFor(ts, sign(secret, "whd_test", ts, body)), body, { now: () => at })).resolves.toMatchObject({ type: "turn.completed" });
    }
    const old = now() - 3_600;
    await expect(verifyWebhook(secret, headersFor(old, sign(secret, "whd_test", old, body)), body, { toleranceSeconds: 7_200 })).resolves.toMatchObject({
      type: "turn.completed",
    });
  });

  it("refuses missing headers and a malformed timestamp", async () => {
    const ts = now();
    const sig = sign(secret, "whd_test", ts, body);
    await expect(verifyWebhook(secret, { "webhook-id": "whd_test", "webhook-timestamp": String(ts) }, body)).rejects.toThrow(/Missing webhook-id/);
    await expect(verifyWebhook(secret, headersFor(ts, sig) as Record<string, string>, body)).resolves.toBeDefined();
    await expect(verifyWebhook(secret, { ...headersFor(ts, sig), "webhook-timestamp": "12.5" }, body)).rejects.toThrow(/not a number/);
  });
});
