/**
 * OpenTelemetry GenAI semantic-convention names (semconv 1.45, "incubating"). Copied as literals
 * rather than imported from `@opentelemetry/semantic-conventions/incubating`, as that package
 * recommends for unstable names: a rename upstream must not silently change what we emit.
 */
export const GenAiAttr = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  requestStream: "gen_ai.request.stream",
  responseModel: "gen_ai.response.model",
  responseId: "gen_ai.response.id",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  responseTimeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  usageCacheReadInputTokens: "gen_ai.usage.cache_read.input_tokens",
  usageCacheCreationInputTokens: "gen_ai.usage.cache_creation.input_tokens",
  tokenType: "gen_ai.token.type",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  toolType: "gen_ai.tool.type",
  toolCallArguments: "gen_ai.tool.call.arguments",
  toolCallResult: "gen_ai.tool.call.result",
  conversationId: "gen_ai.conversation.id",
  agentName: "gen_ai.agent.name",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  systemInstructions: "gen_ai.system_instructions",
} as const;

export type GenAiAttrName = (typeof GenAiAttr)[keyof typeof GenAiAttr];

/** Well-known values of `gen_ai.operation.name`. */
export const GenAiOperation = {
  chat: "chat",
  executeTool: "execute_tool",
  invokeAgent: "invoke_agent",
} as const;

/** Values of `gen_ai.token.type`. */
export const GenAiTokenType = {
  input: "input",
  output: "output",
} as const;

export type GenAiTokenTypeValue = (typeof GenAiTokenType)[keyof typeof GenAiTokenType];

/** Metric names from the GenAI client conventions. */
export const GenAiMetric = {
  operationDuration: "gen_ai.client.operation.duration",
  tokenUsage: "gen_ai.client.token.usage",
} as const;

/** `error.type`, the general semconv attribute for the class of a failure. */
export const ATTR_ERROR_TYPE = "error.type";
