import type {
  Agent,
  AgentPage,
  AgentRequest,
  AgentVersionList,
  CreatedWebhookEndpoint,
  CreateSessionRequest,
  CreateWebhookRequest,
  Fleet,
  Message,
  MessagePage,
  Readiness,
  Session,
  SessionPage,
  SubmitTurnRequest,
  Turn,
  TurnPage,
  TurnTimeline,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
} from "@turnq/contract";
import { isTurnqApiError } from "./errors.ts";
import { TurnqEventStream, type StreamOptions } from "./event-stream.ts";
import { newIdempotencyKey } from "./idempotency-key.ts";
import { sleep } from "./sleep.ts";
import { createTransport, seg, type ClientOptions, type RequestOptions } from "./transport.ts";

export interface SendOptions extends RequestOptions {
  /**
   * Wait for the turn to end: `true` until it does, a number for at most that many seconds (the
   * turn is returned as it is then). Omitted: return as soon as it is queued.
   */
  wait?: boolean | number;
  onBusy?: SubmitTurnRequest["onBusy"];
  /** Makes sending again safe; one is generated when omitted, and reused for the retries. */
  idempotencyKey?: string;
}

export interface WaitOptions extends RequestOptions {
  /** Give up after this long and return the turn as it is, ms. Omitted: until it ends (or `signal`). */
  timeoutMs?: number;
}

const final = new Set(["completed", "failed", "cancelled"]);

/** `?a=1&b=x` of the defined values, or "". */
function queryOf(q: Record<string, string | number | boolean | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) query.set(k, String(v));
  return query.size ? `?${query}` : "";
}
/** The API holds a long-poll at most this long; the client's own deadline for it is a little later. */
const maxWaitSeconds = 60;

export type TurnqClient = ReturnType<typeof createClient>;

/**
 * A typed client for every route of the turnq API. Works wherever fetch does (Node 24, browsers):
 * no Node APIs. Errors are TurnqApiError with the problem+json `code`; every call takes an
 * AbortSignal.
 */
export function createClient(options: ClientOptions) {
  const http = createTransport(options);

  const getTurn = (id: string, o: RequestOptions & { waitSeconds?: number } = {}) =>
    http.json<Turn>("GET", `/v1/turns/${seg(id)}`, {
      signal: o.signal,
      ...(o.waitSeconds ? { headers: { prefer: `wait=${o.waitSeconds}` }, timeoutMs: (o.waitSeconds + 15) * 1_000 } : {}),
    });

  /** Long-polls (Prefer: wait, ≤ 60 s a request) until the turn is final or the deadline passes. */
  async function waitTurn(id: string, o: WaitOptions = {}, first?: Turn): Promise<Turn> {
    const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
    let turn = first;
    while (!turn || !final.has(turn.status)) {
      const left = Math.ceil((deadline - Date.now()) / 1_000);
      if (turn && left <= 0) return turn;
      turn = await getTurn(id, { signal: o.signal, waitSeconds: Math.max(1, Math.min(maxWaitSeconds, left)) });
    }
    return turn;
  }

  /**
   * Submits a turn with an Idempotency-Key, sending it again (same key: never stored twice) after a
   * network error or a 503, up to 3 times.
   */
  async function submit(sessionId: string, body: SubmitTurnRequest, o: RequestOptions & { idempotencyKey?: string; waitSeconds?: number } = {}): Promise<Turn> {
    const key = o.idempotencyKey ?? newIdempotencyKey();
    for (let attempt = 1; ; attempt++) {
      try {
        return await http.json<Turn>("POST", `/v1/sessions/${seg(sessionId)}/turns`, {
          body,
          signal: o.signal,
          headers: { "idempotency-key": key, ...(o.waitSeconds ? { prefer: `wait=${o.waitSeconds}` } : {}) },
          ...(o.waitSeconds ? { timeoutMs: (o.waitSeconds + 15) * 1_000 } : {}),
        });
      } catch (err) {
        const retryable = isTurnqApiError(err) ? err.status === 503 : !o.signal?.aborted;
        if (!retryable || attempt >= 3) throw err;
        const ms = (isTurnqApiError(err) ? err.retryAfterMs : undefined) ?? 250 * 2 ** attempt;
        await sleep(ms, o.signal);
      }
    }
  }

  return {
    sessions: {
      create: (body: CreateSessionRequest = {}, o: RequestOptions = {}) => http.json<Session>("POST", "/v1/sessions", { body, signal: o.signal }),
      get: (id: string, o: RequestOptions = {}) => http.json<Session>("GET", `/v1/sessions/${seg(id)}`, { signal: o.signal }),
      /** The caller's sessions, newest first; pass a page's `nextBefore` as `before` for the next. */
      list: (q: { before?: string; limit?: number; agentId?: string; q?: string; active?: boolean } = {}, o: RequestOptions = {}) =>
        http.json<SessionPage>("GET", `/v1/sessions${queryOf(q)}`, { signal: o.signal }),
      /** Its turns newest first (`before`: a page's `nextBefore`), or with `open: true` its unfinished ones in queue order. */
      turns: (id: string, q: { open?: boolean; before?: number; limit?: number } = {}, o: RequestOptions = {}) =>
        http.json<TurnPage>("GET", `/v1/sessions/${seg(id)}/turns${queryOf(q)}`, { signal: o.signal }),
      /** One page of the log, in seq order. */
      messages: (id: string, q: { after?: number; limit?: number } = {}, o: RequestOptions = {}) =>
        http.json<MessagePage>("GET", `/v1/sessions/${seg(id)}/messages${queryOf(q)}`, { signal: o.signal }),
      /** Every message after `after`, page by page. */
      async *allMessages(id: string, q: { after?: number; pageSize?: number } = {}, o: RequestOptions = {}): AsyncGenerator<Message> {
        let after: number | null = q.after ?? 0;
        while (after !== null) {
          const page: MessagePage = await this.messages(id, { after, limit: q.pageSize ?? 500 }, o);
          yield* page.data;
          after = page.nextAfter;
        }
      },
      /** The session's live events; reconnects by itself (see TurnqEventStream). */
      stream: (id: string, o: StreamOptions = {}) => new TurnqEventStream(http, `/v1/sessions/${seg(id)}/events`, false, o),
    },
    turns: {
      submit: (sessionId: string, body: SubmitTurnRequest, o: RequestOptions & { idempotencyKey?: string } = {}) => submit(sessionId, body, o),
      /** Submits `input`; with `wait`, resolves with the turn once it ended (or the wait ran out). */
      async send(sessionId: string, input: string, o: SendOptions = {}): Promise<Turn> {
        const waitSeconds = o.wait === true ? maxWaitSeconds : typeof o.wait === "number" ? Math.min(maxWaitSeconds, o.wait) : 0;
        const started = Date.now();
        const turn = await submit(sessionId, { input, ...(o.onBusy ? { onBusy: o.onBusy } : {}) }, { signal: o.signal, ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}), waitSeconds });
        if (!o.wait || final.has(turn.status)) return turn;
        const timeoutMs = o.wait === true ? undefined : Math.max(0, o.wait * 1_000 - (Date.now() - started));
        return waitTurn(turn.id, { signal: o.signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) }, turn);
      },
      /** The turn now; `queuePosition` while it is queued. */
      get: (id: string, o: RequestOptions = {}) => getTurn(id, o),
      /** Resolves with the turn once it ended (long-poll), or as it is when `timeoutMs` ran out. */
      wait: (id: string, o: WaitOptions = {}) => waitTurn(id, o),
      cancel: (id: string, o: RequestOptions = {}) => http.json<Turn>("POST", `/v1/turns/${seg(id)}/cancel`, { signal: o.signal }),
      /** The turn's stages: waits, LLM calls, tools, appends. */
      timeline: (id: string, o: RequestOptions = {}) => http.json<TurnTimeline>("GET", `/v1/turns/${seg(id)}/timeline`, { signal: o.signal }),
      /** The turn's live events, ending after its final status; reconnects by itself. */
      stream: (id: string, o: StreamOptions = {}) => new TurnqEventStream(http, `/v1/turns/${seg(id)}/events`, true, o),
    },
    agents: {
      create: (body: AgentRequest, o: RequestOptions = {}) => http.json<Agent>("POST", "/v1/agents", { body, signal: o.signal }),
      /** Adds the agent's next version. */
      update: (id: string, body: AgentRequest, o: RequestOptions = {}) => http.json<Agent>("PUT", `/v1/agents/${seg(id)}`, { body, signal: o.signal }),
      get: (id: string, q: { version?: number } = {}, o: RequestOptions = {}) =>
        http.json<Agent>("GET", `/v1/agents/${seg(id)}${q.version === undefined ? "" : `?version=${q.version}`}`, { signal: o.signal }),
      /** The latest version of each agent, newest first. */
      list: (q: { before?: string; limit?: number } = {}, o: RequestOptions = {}) => http.json<AgentPage>("GET", `/v1/agents${queryOf(q)}`, { signal: o.signal }),
      versions: (id: string, o: RequestOptions = {}) => http.json<AgentVersionList>("GET", `/v1/agents/${seg(id)}/versions`, { signal: o.signal }),
    },
    webhooks: {
      /** Registers an endpoint; the answer holds its signing secret, this once. */
      create: (body: CreateWebhookRequest, o: RequestOptions = {}) => http.json<CreatedWebhookEndpoint>("POST", "/v1/webhooks", { body, signal: o.signal }),
      list: (o: RequestOptions = {}) => http.json<{ data: WebhookEndpoint[] }>("GET", "/v1/webhooks", { signal: o.signal }),
      get: (id: string, o: RequestOptions = {}) => http.json<WebhookEndpoint>("GET", `/v1/webhooks/${seg(id)}`, { signal: o.signal }),
      update: (id: string, body: UpdateWebhookRequest, o: RequestOptions = {}) =>
        http.json<WebhookEndpoint>("PATCH", `/v1/webhooks/${seg(id)}`, { body, signal: o.signal }),
      delete: async (id: string, o: RequestOptions = {}): Promise<void> => {
        await http.raw("DELETE", `/v1/webhooks/${seg(id)}`, { signal: o.signal });
      },
      /** The delivery log, newest first. */
      deliveries: (id: string, q: { before?: string; limit?: number } = {}, o: RequestOptions = {}) =>
        http.json<WebhookDeliveryPage>("GET", `/v1/webhooks/${seg(id)}/deliveries${queryOf(q)}`, { signal: o.signal }),
      /** Sends a delivered or given-up delivery again (409 delivery_in_progress while it is being retried). */
      redeliver: (id: string, deliveryId: string, o: RequestOptions = {}) =>
        http.json<WebhookDelivery>("POST", `/v1/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}/redeliver`, { signal: o.signal }),
    },
    system: {
      health: (o: RequestOptions = {}) => http.json<{ status: "ok" }>("GET", "/healthz", { signal: o.signal }),
      ready: (o: RequestOptions = {}) => http.json<Readiness>("GET", "/readyz", { signal: o.signal }),
      /** Queue depth, workers, LLM breakers and the caller's per-minute turn statistics. */
      fleet: (q: { minutes?: number } = {}, o: RequestOptions = {}) => http.json<Fleet>("GET", `/v1/fleet${queryOf(q)}`, { signal: o.signal }),
      metrics: async (o: RequestOptions = {}) => (await http.raw("GET", "/metrics", { signal: o.signal })).text(),
      /** The OpenAPI 3.1 document of the API. */
      openapi: (o: RequestOptions = {}) => http.json<Record<string, unknown>>("GET", "/openapi.json", { signal: o.signal }),
    },
  };
}
