import { createHmac } from "node:crypto";

/**
 * The Standard Webhooks signature: HMAC-SHA256, keyed with the base64 part of the `whsec_` secret,
 * over `${id}.${timestamp}.${body}`, sent as `v1,<base64>`. The exact bytes sent are the ones signed.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}
