/**
 * The console's view of the turnq API, shaped like @turnq/client (sessions, turns, messages,
 * agents, fleet) so it can be swapped for it. Every request carries the pasted key in the
 * Authorization header and nowhere else: never in a URL, a query string or a body.
 */
import { openEventStream, type StreamEvent } from "./sse.ts";
import type { Agent, Fleet, Message, Page, Session, SessionSummary, Timeline, Turn } from "./types.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Called when the API refuses the key (401), so the console can ask for another. */
  onUnauthorized?: () => void;
}

export function createClient({ baseUrl, apiKey, onUnauthorized }: ClientOptions) {
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${apiKey}`, ...extra });

  async function call<T>(method: string, path: string, query?: Record<string, string | number | boolean | undefined>, body?: unknown): Promise<T> {
    const url = new URL(path, baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    const res = await fetch(url, {
      method,
      headers: headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? null : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status === 401) onUnauthorized?.();
    if (!res.ok) throw new ApiError(res.status, String(json.code ?? "http_error"), String(json.detail ?? res.statusText));
    return json as T;
  }

  return {
    sessions: {
      list: (q: { q?: string; agentId?: string; active?: boolean; before?: string; limit?: number } = {}) =>
        call<Page<SessionSummary> & { nextBefore: string | null }>("GET", "/v1/sessions", q),
      get: (id: string) => call<Session>("GET", `/v1/sessions/${encodeURIComponent(id)}`),
      create: (body: { agentId?: string; metadata?: Record<string, unknown> } = {}) => call<Session>("POST", "/v1/sessions", undefined, body),
      /** The session's live events; resumes with Last-Event-ID after a drop. */
      stream: (id: string, onEvent: (e: StreamEvent) => void, signal: AbortSignal, onState?: (s: "open" | "reconnecting") => void) =>
        openEventStream({
          url: new URL(`/v1/sessions/${encodeURIComponent(id)}/events`, baseUrl),
          headers: headers(),
          onEvent,
          signal,
          onRefused: (status) => void (status === 401 && onUnauthorized?.()),
          ...(onState ? { onState } : {}),
        }),
    },
    turns: {
      send: (sessionId: string, input: string) => call<Turn>("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/turns`, undefined, { input }),
      get: (id: string) => call<Turn>("GET", `/v1/turns/${encodeURIComponent(id)}`),
      cancel: (id: string) => call<Turn>("POST", `/v1/turns/${encodeURIComponent(id)}/cancel`),
      list: (sessionId: string, q: { open?: boolean; before?: number; limit?: number } = {}) =>
        call<Page<Turn> & { nextBefore: number | null }>("GET", `/v1/sessions/${encodeURIComponent(sessionId)}/turns`, q),
      timeline: (id: string) => call<Timeline>("GET", `/v1/turns/${encodeURIComponent(id)}/timeline`),
    },
    messages: {
      list: (sessionId: string, q: { after: number; limit: number }) =>
        call<Page<Message> & { nextAfter: number | null }>("GET", `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, q),
    },
    agents: {
      list: (q: { before?: string; limit?: number } = {}) => call<Page<Agent> & { nextBefore: string | null }>("GET", "/v1/agents", q),
      versions: (id: string) => call<Page<Agent>>("GET", `/v1/agents/${encodeURIComponent(id)}/versions`),
    },
    fleet: { get: (minutes = 15) => call<Fleet>("GET", "/v1/fleet", { minutes }) },
  };
}

export type Client = ReturnType<typeof createClient>;
