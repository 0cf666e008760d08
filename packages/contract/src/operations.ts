import { limits, type ErrorCode } from "@turnq/core";
import type { z } from "zod";
import { agent, agentRequest } from "./agents.ts";
import { idExamples } from "./common.ts";
import { health, readiness } from "./health.ts";
import { messagePage } from "./messages.ts";
import { agentPage, agentVersionList, fleet, sessionPage, turnPage, turnTimeline } from "./console.ts";
import { createSessionRequest, session } from "./sessions.ts";
import { submitTurnRequest, turn } from "./turns.ts";
import {
  createdWebhookEndpoint,
  createWebhookRequest,
  updateWebhookRequest,
  webhookBodyBytes,
  webhookDelivery,
  webhookDeliveryPage,
  webhookEndpoint,
  webhookEndpointList,
} from "./webhooks.ts";

/** A parameter in the path, query or headers: its JSON Schema is small enough to write as such. */
export interface Parameter {
  in: "path" | "query" | "header";
  name: string;
  description: string;
  schema: Record<string, unknown>;
  example?: unknown;
}

export interface ResponseSpec {
  description: string;
  /** JSON body; absent with `contentType` for text answers, and for answers without a body (204). */
  schema?: z.ZodType;
  contentType?: "text/event-stream" | "text/plain" | "none";
  headers?: Record<string, string>;
}

/**
 * One HTTP operation: what the API serves at `method path`. The routes validate with the same
 * schemas; test/e2e/openapi.test.ts checks this table against the routes Hono really serves.
 */
export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path template (`{id}`); Hono's `:id` form is derived from it. */
  path: string;
  operationId: string;
  tag: "sessions" | "turns" | "agents" | "events" | "webhooks" | "fleet" | "operations";
  summary: string;
  description?: string;
  /** Whether the operation needs `Authorization: Bearer <key>` (every /v1 route does). */
  auth: boolean;
  parameters?: Parameter[];
  body?: z.ZodType;
  /** Size limit of the body, bytes. */
  bodyBytes?: number;
  responses: Record<number, ResponseSpec>;
  /** Errors this operation can answer besides those every request can get (see `commonErrors`). */
  errors: ErrorCode[];
}

/** Any request can meet these: a malformed request, one sent too slowly, a fault of ours. */
export const commonErrors: ErrorCode[] = ["invalid_request", "request_timeout", "headers_too_large", "internal"];
/** Any authenticated (/v1) request: its key's and tenant's request rate limits (429 with Retry-After and RateLimit headers). */
export const authErrors: ErrorCode[] = ["unauthorized", "rate_limited"];
/** Any request with a JSON body. */
export const bodyErrors: ErrorCode[] = [
  "invalid_json",
  "json_too_deep",
  "validation_failed",
  "unsupported_character",
  "payload_too_large",
  "unsupported_media_type",
  "expectation_failed",
];

const idParam = (what: string, example: unknown): Parameter => ({
  in: "path",
  name: "id",
  description: `The ${what}'s id.`,
  schema: { type: "string" },
  example,
});
const sessionIdExample = idExamples.session;
const turnIdExample = idExamples.turn;
const agentIdExample = idExamples.agent;

const preferWait: Parameter = {
  in: "header",
  name: "Prefer",
  description: `\`wait=N\` (RFC 7240, N ≤ ${limits.maxWaitSeconds}): answer as soon as the turn is final, or after N seconds with it as it is then.`,
  schema: { type: "string", pattern: "wait=\\d+" },
  example: "wait=10",
};
const lastEventId: Parameter = {
  in: "header",
  name: "Last-Event-ID",
  description: "Resume right after this event (its `id:`); no gap, no repeat. Omitted: from the oldest live event kept.",
  schema: { type: "string", pattern: "^\\d{1,20}-\\d{1,20}(\\.\\d{1,4})?(~\\d{1,20})?$" },
  example: "1764547200000-0~12",
};
const afterCursor: Parameter = { ...lastEventId, in: "query", name: "after", description: "Same as Last-Event-ID, for clients that cannot set headers (EventSource)." };
const turnHeaders = { location: "/v1/turns/{id}", traceparent: "The W3C trace context of the turn's trace." };

const beforeParam = (what: string): Parameter => ({ in: "query", name: "before", description: `The previous page's \`nextBefore\` (${what}).`, schema: { type: "string" } });
const pageLimit: Parameter = { in: "query", name: "limit", description: "Page size.", schema: { type: "integer", minimum: 1, maximum: limits.maxPageSize, default: 50 }, example: 50 };
const webhookIdParam = idParam("webhook endpoint", "wh_01jd8x3k6v2w4q9r7t5m3n1p0z");

const sseDescription =
  "text/event-stream: `event:` is the type, `data:` its JSON (see `x-turnq-events` and the *Event schemas), `id:` the cursor for Last-Event-ID. A keep-alive comment every 15 s.";

export const operations: Operation[] = [
  {
    method: "post",
    path: "/v1/sessions",
    operationId: "createSession",
    tag: "sessions",
    summary: "Create a session",
    auth: true,
    body: createSessionRequest,
    bodyBytes: limits.requestBodyBytes,
    responses: { 201: { description: "The session.", schema: session, headers: { location: "/v1/sessions/{id}" } } },
    errors: [...bodyErrors, "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/sessions/{id}",
    operationId: "getSession",
    tag: "sessions",
    summary: "Get a session",
    auth: true,
    parameters: [idParam("session", sessionIdExample)],
    responses: { 200: { description: "The session.", schema: session } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "post",
    path: "/v1/sessions/{id}/turns",
    operationId: "submitTurn",
    tag: "turns",
    summary: "Submit a turn",
    description:
      "Answered only after the turn is committed. Turns of a session run one at a time, in order. With `Prefer: wait=N`, 200 and the final turn when it ends within N s. An Idempotency-Key makes sending it again safe.",
    auth: true,
    parameters: [
      idParam("session", sessionIdExample),
      {
        in: "header",
        name: "Idempotency-Key",
        description: "1-255 visible ASCII characters; the same key with the same body answers the turn already stored (header Idempotent-Replayed: true).",
        schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
        example: "4f6c1a56-8d4e-4d6b-9d1e-0c2f5b7a9e31",
      },
      preferWait,
    ],
    body: submitTurnRequest,
    bodyBytes: limits.requestBodyBytes,
    responses: {
      200: { description: "With Prefer: wait, the turn once final.", schema: turn, headers: { ...turnHeaders, "preference-applied": "wait=N" } },
      202: { description: "The turn, queued (or as stored, for a replayed Idempotency-Key).", schema: turn, headers: { ...turnHeaders, "idempotent-replayed": "true when the key was seen before" } },
    },
    errors: [
      ...bodyErrors,
      "not_found",
      "session_busy",
      "idempotency_key_reused",
      "session_queue_full",
      "tenant_sessions_limit",
      "queue_full",
      "database_unavailable",
    ],
  },
  {
    method: "get",
    path: "/v1/turns/{id}",
    operationId: "getTurn",
    tag: "turns",
    summary: "Get a turn (long-poll with Prefer: wait)",
    auth: true,
    parameters: [idParam("turn", turnIdExample), preferWait],
    responses: { 200: { description: "The turn; `queuePosition` while queued.", schema: turn, headers: { "preference-applied": "wait=N" } } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "post",
    path: "/v1/turns/{id}/cancel",
    operationId: "cancelTurn",
    tag: "turns",
    summary: "Cancel a turn",
    description: "A queued turn is cancelled at once; a running one is asked to stop (still `running` until its worker recorded it: wait with GET and Prefer: wait). Idempotent; a no-op on a final turn.",
    auth: true,
    parameters: [idParam("turn", turnIdExample)],
    responses: { 202: { description: "The turn after the request.", schema: turn } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/sessions/{id}/messages",
    operationId: "listMessages",
    tag: "sessions",
    summary: "Read the session's log in seq order",
    auth: true,
    parameters: [
      idParam("session", sessionIdExample),
      { in: "query", name: "after", description: "Only messages with a larger seq (default 0).", schema: { type: "integer", minimum: 0 }, example: 0 },
      { in: "query", name: "limit", description: "Page size.", schema: { type: "integer", minimum: 1, maximum: limits.maxPageSize, default: 100 }, example: 100 },
    ],
    responses: { 200: { description: "One page of the log.", schema: messagePage } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/sessions/{id}/events",
    operationId: "streamSessionEvents",
    tag: "events",
    summary: "Follow a session's live events (SSE)",
    auth: true,
    parameters: [idParam("session", sessionIdExample), lastEventId, afterCursor],
    responses: { 200: { description: sseDescription, contentType: "text/event-stream" } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/turns/{id}/events",
    operationId: "streamTurnEvents",
    tag: "events",
    summary: "Follow one turn's live events (SSE); ends after its final status",
    auth: true,
    parameters: [idParam("turn", turnIdExample), lastEventId, afterCursor],
    responses: { 200: { description: sseDescription, contentType: "text/event-stream" } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "post",
    path: "/v1/agents",
    operationId: "createAgent",
    tag: "agents",
    summary: "Create an agent (version 1)",
    auth: true,
    body: agentRequest,
    bodyBytes: limits.agentBodyBytes,
    responses: { 201: { description: "The agent.", schema: agent, headers: { location: "/v1/agents/{id}" } } },
    errors: [...bodyErrors, "database_unavailable"],
  },
  {
    method: "put",
    path: "/v1/agents/{id}",
    operationId: "updateAgent",
    tag: "agents",
    summary: "Add the agent's next version",
    auth: true,
    parameters: [idParam("agent", agentIdExample)],
    body: agentRequest,
    bodyBytes: limits.agentBodyBytes,
    responses: { 200: { description: "The new version.", schema: agent } },
    errors: [...bodyErrors, "not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/agents/{id}",
    operationId: "getAgent",
    tag: "agents",
    summary: "Get an agent (latest version, or ?version=)",
    auth: true,
    parameters: [
      idParam("agent", agentIdExample),
      { in: "query", name: "version", description: "A version number; omitted: the latest.", schema: { type: "integer", minimum: 1 }, example: 1 },
    ],
    responses: { 200: { description: "The agent version.", schema: agent } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/sessions",
    operationId: "listSessions",
    tag: "sessions",
    summary: "List the caller's sessions, newest first",
    auth: true,
    parameters: [
      beforeParam("a session id"),
      pageLimit,
      { in: "query", name: "agentId", description: "Only this agent's sessions.", schema: { type: "string" } },
      { in: "query", name: "q", description: "Only sessions whose id or metadata contains this text.", schema: { type: "string" } },
      { in: "query", name: "active", description: "`true`: only sessions with queued or running turns.", schema: { type: "boolean", default: false } },
    ],
    responses: { 200: { description: "One page of sessions.", schema: sessionPage } },
    errors: ["database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/sessions/{id}/turns",
    operationId: "listSessionTurns",
    tag: "turns",
    summary: "List a session's turns (newest first, or its open turns in queue order)",
    description: "With `open=true`: its queued and running turns in the order they run, each queued one with `queuePosition` and `blockedBy`, in one page.",
    auth: true,
    parameters: [
      idParam("session", sessionIdExample),
      { in: "query", name: "open", description: "`true`: only unfinished turns, in queue order.", schema: { type: "boolean", default: false } },
      { in: "query", name: "before", description: "The previous page's `nextBefore` (a position); not with open=true.", schema: { type: "integer", minimum: 1 } },
      pageLimit,
    ],
    responses: { 200: { description: "One page of turns.", schema: turnPage } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/turns/{id}/timeline",
    operationId: "getTurnTimeline",
    tag: "turns",
    summary: "A turn's stages: waits, LLM calls, tools, appends",
    auth: true,
    parameters: [idParam("turn", turnIdExample)],
    responses: { 200: { description: "The turn and its timeline.", schema: turnTimeline } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/agents",
    operationId: "listAgents",
    tag: "agents",
    summary: "List the caller's agents (latest version of each), newest first",
    auth: true,
    parameters: [beforeParam("an agent id"), pageLimit],
    responses: { 200: { description: "One page of agents.", schema: agentPage } },
    errors: ["database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/agents/{id}/versions",
    operationId: "listAgentVersions",
    tag: "agents",
    summary: "Every version of an agent",
    auth: true,
    parameters: [idParam("agent", agentIdExample)],
    responses: { 200: { description: "Its versions.", schema: agentVersionList } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/fleet",
    operationId: "getFleet",
    tag: "fleet",
    summary: "Queue depth, workers, LLM breakers and per-minute turn statistics",
    auth: true,
    parameters: [{ in: "query", name: "minutes", description: "How many minutes of statistics.", schema: { type: "integer", minimum: 1, maximum: 60, default: 15 }, example: 15 }],
    responses: { 200: { description: "The fleet now.", schema: fleet } },
    errors: ["database_unavailable"],
  },
  {
    method: "post",
    path: "/v1/webhooks",
    operationId: "createWebhook",
    tag: "webhooks",
    summary: "Register a webhook endpoint",
    description: "Answers its signing secret, this once. Deliveries are signed as Standard Webhooks specifies (verifyWebhook of @turnq/client checks them).",
    auth: true,
    body: createWebhookRequest,
    bodyBytes: webhookBodyBytes,
    responses: { 201: { description: "The endpoint, with its secret.", schema: createdWebhookEndpoint, headers: { location: "/v1/webhooks/{id}" } } },
    errors: [...bodyErrors, "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/webhooks",
    operationId: "listWebhooks",
    tag: "webhooks",
    summary: "List the caller's webhook endpoints",
    auth: true,
    responses: { 200: { description: "The endpoints (never their secret).", schema: webhookEndpointList } },
    errors: ["database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/webhooks/{id}",
    operationId: "getWebhook",
    tag: "webhooks",
    summary: "Get a webhook endpoint",
    auth: true,
    parameters: [webhookIdParam],
    responses: { 200: { description: "The endpoint.", schema: webhookEndpoint } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "patch",
    path: "/v1/webhooks/{id}",
    operationId: "updateWebhook",
    tag: "webhooks",
    summary: "Change, disable or enable a webhook endpoint",
    auth: true,
    parameters: [webhookIdParam],
    body: updateWebhookRequest,
    bodyBytes: webhookBodyBytes,
    responses: { 200: { description: "The endpoint after the change.", schema: webhookEndpoint } },
    errors: [...bodyErrors, "not_found", "database_unavailable"],
  },
  {
    method: "delete",
    path: "/v1/webhooks/{id}",
    operationId: "deleteWebhook",
    tag: "webhooks",
    summary: "Delete a webhook endpoint and its delivery log",
    auth: true,
    parameters: [webhookIdParam],
    responses: { 204: { description: "Deleted.", contentType: "none" } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "get",
    path: "/v1/webhooks/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    tag: "webhooks",
    summary: "An endpoint's delivery log, newest first, each with its attempts",
    auth: true,
    parameters: [webhookIdParam, beforeParam("a delivery id"), pageLimit],
    responses: { 200: { description: "One page of deliveries.", schema: webhookDeliveryPage } },
    errors: ["not_found", "database_unavailable"],
  },
  {
    method: "post",
    path: "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
    operationId: "redeliverWebhook",
    tag: "webhooks",
    summary: "Send a delivered or given-up delivery again",
    description: "Same `webhook-id`, a fresh retry schedule. 409 `delivery_in_progress` while it is still being retried.",
    auth: true,
    parameters: [
      webhookIdParam,
      { in: "path", name: "deliveryId", description: "The delivery's id.", schema: { type: "string" }, example: "whd_01jd8x3k6v2w4q9r7t5m3n1p0z" },
    ],
    responses: { 202: { description: "The delivery, pending again.", schema: webhookDelivery } },
    errors: ["not_found", "delivery_in_progress", "database_unavailable"],
  },
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    tag: "operations",
    summary: "The process is alive",
    auth: false,
    responses: { 200: { description: "Alive.", schema: health } },
    errors: [],
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readiness",
    tag: "operations",
    summary: "Redis and Postgres are reachable",
    auth: false,
    responses: { 200: { description: "Ready; workers reported.", schema: readiness } },
    errors: ["not_ready"],
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    tag: "operations",
    summary: "Prometheus metrics",
    auth: false,
    responses: { 200: { description: "Prometheus text exposition format.", contentType: "text/plain" } },
    errors: [],
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    tag: "operations",
    summary: "This document",
    auth: false,
    responses: { 200: { description: "The OpenAPI 3.1 document of this API." } },
    errors: [],
  },
];
