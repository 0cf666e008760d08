import { OutboundRequestBlockedError } from "@turnq/tools";
import { request, type Dispatcher } from "undici";

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  /** Why the attempt failed, in words for the delivery log; never the receiver's body. */
  error: string | null;
  latencyMs: number;
}

/** Bytes of a response body read (and thrown away) before the connection is closed instead. */
const RESPONSE_READ_MAX = 16 * 1024;

/**
 * One POST to a receiver. Success is any 2xx; redirects are not followed (a 3xx is a failure). The
 * whole attempt, body included, ends within `timeoutMs` however the receiver behaves, and at most
 * 16 KiB of its answer is read, then discarded: a hanging or chatty receiver costs one delivery
 * slot for at most `timeoutMs`, never a turn's. The dispatcher's connector refuses addresses the
 * operator has not allowed, checked on the address actually connected to (after DNS).
 */
export async function sendWebhook(args: {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<SendResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(args.timeoutMs);
  const latency = () => Math.round(performance.now() - started);
  try {
    const res = await request(args.url, {
      method: "POST",
      dispatcher: args.dispatcher,
      headers: args.headers,
      body: args.body,
      signal,
    });
    await res.body.dump({ limit: RESPONSE_READ_MAX, signal }).catch(() => {});
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return { ok, statusCode: res.statusCode, error: ok ? null : `The receiver answered HTTP ${res.statusCode}; a 2xx acknowledges a delivery.`, latencyMs: latency() };
  } catch (err) {
    return { ok: false, statusCode: null, error: describe(err, args.timeoutMs), latencyMs: latency() };
  }
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  if (e.name === "TimeoutError" || e.cause?.name === "TimeoutError") return `No answer within ${timeoutMs} ms; the receiver should acknowledge at once and work afterwards.`;
  const blocked = e instanceof OutboundRequestBlockedError ? e : e.cause instanceof OutboundRequestBlockedError ? e.cause : undefined;
  if (blocked) return `${blocked.message} (set WEBHOOK_ALLOW_PRIVATE=true to allow them)`;
  const code = e.code ?? e.cause?.code;
  return `Could not deliver: ${code ? `${code} ` : ""}${(e.cause?.message ?? e.message ?? String(err)).slice(0, 300)}`;
}
