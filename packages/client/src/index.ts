// The browser-safe entry: fetch, streams and text decoding only, no Node modules.
export { createClient, type SendOptions, type TurnqClient, type WaitOptions } from "./client.ts";
export { isTurnqApiError, TurnqApiError, type ApiErrorCode } from "./errors.ts";
export { TurnqEventStream, type StreamOptions, type TurnqEvent } from "./event-stream.ts";
export type { ClientOptions, RequestOptions } from "./transport.ts";
export {
  verifyWebhook,
  WebhookVerificationError,
  type TurnqWebhookEvent,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from "./verify-webhook.ts";
export type {
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
  Problem,
  Readiness,
  Session,
  SessionListItem,
  SessionPage,
  StreamEvent,
  SubmitTurnRequest,
  TimelineEntry,
  Turn,
  TurnPage,
  TurnStatus,
  TurnTimeline,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
} from "@turnq/contract";
