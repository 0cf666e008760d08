import { createHmac } from "node:crypto";
import { expect } from "vitest";
import { get, post } from "./http.ts";
import type { ReceivedWebhook } from "./webhook-receiver.ts";

/** Standard Webhooks signing written from the specification, independently of turnq's code. */
export function referenceSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** Registers an endpoint through the API; answers its id and its one-time secret. */
export async function registerWebhook(base: string, url: string, events: string[]): Promise<{ id: string; secret: string }> {
  const r = await post(base, "/v1/webhooks", { url, events });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id, secret: r.body.secret };
}

/** The requests a receiver got about one turn (by the payload's turn id). */
export function aboutTurn(all: ReceivedWebhook[], turnId: string): ReceivedWebhook[] {
  return all.filter((r) => {
    try {
      return JSON.parse(r.body).data?.turn?.id === turnId;
    } catch {
      return false;
    }
  });
}

/** Polls an endpoint's delivery log until `predicate` holds for the delivery of `turnId`. */
export async function waitForDelivery(base: string, endpointId: string, turnId: string, predicate: (d: any) => boolean, ms = 60_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await get(base, `/v1/webhooks/${endpointId}/deliveries?limit=100`);
    expect(r.status).toBe(200);
    const d = r.body.data.find((x: any) => x.turnId === turnId);
    if (d && predicate(d)) return d;
    if (Date.now() > deadline) throw new Error(`delivery of ${turnId} not as expected within ${ms} ms: ${JSON.stringify(d ?? null)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
