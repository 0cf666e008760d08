export type {
  Admission,
  BreakerOptions,
  BreakerState,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatRole,
  DeadlineOptions,
  FinishReason,
  LlmClient,
  LlmClientOptions,
  LlmObserver,
  ProviderName,
  RetryOptions,
  Sleep,
  ToolCall,
  ToolSpec,
  Usage,
} from "./types.ts";
export { createLlmClient } from "./create-llm-client.ts";
export { countTokens, countTextTokens, encodingForModel, loadedEncodings, MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS } from "./tokens.ts";
export type { TokenEncodingName } from "./tokens.ts";
export { DEFAULTS as LLM_CLIENT_DEFAULTS } from "./client-config.ts";
export { createSseParser } from "./sse-parser.ts";
export type { SseEvent, SseParser } from "./sse-parser.ts";
