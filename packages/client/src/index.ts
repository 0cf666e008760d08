// The browser-safe entry: fetch, streams and text decoding only, no Node modules.
export { createClient, type SendOptions, type TurnqClient, type WaitOptions } from "./client.ts";
export { isTurnqApiError, TurnqApiError, type ApiErrorCode } from "./errors.ts";
export { TurnqEventStream, type StreamOptions, type TurnqEvent } from "./event-stream.ts";
export type { ClientOptions, RequestOptions } from "./transport.ts";
export type {
  Agent,
  AgentRequest,
  CreateSessionRequest,
  Message,
  MessagePage,
  Problem,
  Readiness,
  Session,
  StreamEvent,
  SubmitTurnRequest,
  Turn,
  TurnStatus,
} from "@turnq/contract";

// Webhooks: `verifyWebhook(secret, headers, body)` is exported from ./verify-webhook.ts here.
