/**
 * Verifies a turnq webhook (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) with WebCrypto only, so it runs unchanged in Node 24, Deno, Bun, workers and
 * browsers. Pass the body exactly as received (the raw text or bytes, not re-serialised JSON).
 *
 *   const event = await verifyWebhook(secret, req.headers, rawBody); // secret: the whsec_… of the endpoint
 *
 * Resolves to the parsed event; rejects with WebhookVerificationError when the headers are missing,
 * the timestamp is further than `toleranceSeconds` (300) from now either way (a replay), or no
 * `v1,` signature in the space-separated list matches (compared in constant time).
 */

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Largest accepted distance between the webhook's timestamp and now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Current time in ms (tests). */
  now?: () => number;
}

export interface TurnqWebhookEvent {
  type: "turn.completed" | "turn.failed" | "turn.cancelled";
  timestamp: string;
  data: { turn: Record<string, unknown> & { id: string; sessionId: string; status: string } };
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<TurnqWebhookEvent> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header; pass the request's headers as received.");
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a number of seconds.");
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s from now; refusing a possible replay (check the receiver's clock).`);
  }

  const bodyBytes = typeof body === "string" ? new TextEncoder().encode(body) : body instanceof Uint8Array ? body : new Uint8Array(body);
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + bodyBytes.length);
  signed.set(prefix);
  signed.set(bodyBytes, prefix.length);
  const key = await globalThis.crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const expected = new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, signed));

  let matched = false;
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma === -1 || entry.slice(0, comma) !== "v1") continue;
    const candidate = decodeBase64(entry.slice(comma + 1));
    // No early exit: every candidate is compared in full.
    if (candidate !== undefined && constantTimeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("No webhook-signature matches; check the endpoint's secret (whsec_…) and that the body is passed unmodified.");

  const text = typeof body === "string" ? body : new TextDecoder().decode(bodyBytes);
  try {
    return JSON.parse(text) as TurnqWebhookEvent;
  } catch {
    throw new WebhookVerificationError("The signed body is not JSON.");
  }
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const v = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v.join(" ") : v;
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  if (bytes === undefined || bytes.length === 0) throw new WebhookVerificationError("The secret is not a whsec_ secret; copy it as POST /v1/webhooks returned it.");
  return bytes;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
