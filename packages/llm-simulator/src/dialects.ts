import { anthropicErrorBody, anthropicResponseBody } from "./anthropic.ts";
import { parseAnthropicRequest } from "./anthropic-request.ts";
import { anthropicStreamBeats } from "./anthropic-stream.ts";
import { bearerToken, type Dialect } from "./dialect.ts";
import { openAiErrorBody, openAiResponseBody } from "./openai.ts";
import { parseOpenAiRequest } from "./openai-request.ts";
import { openAiStreamBeats } from "./openai-stream.ts";

export const openAiDialect: Dialect = {
  authorized: (headers, apiKey) => bearerToken(headers) === apiKey,
  parse: parseOpenAiRequest,
  errorBody: openAiErrorBody,
  responseBody: openAiResponseBody,
  streamBeats: openAiStreamBeats,
};

export const anthropicDialect: Dialect = {
  // Anthropic SDKs send x-api-key; a bearer token is accepted too, as some gateways rewrite it.
  authorized: (headers, apiKey) => headers["x-api-key"] === apiKey || bearerToken(headers) === apiKey,
  parse: parseAnthropicRequest,
  errorBody: anthropicErrorBody,
  responseBody: anthropicResponseBody,
  streamBeats: anthropicStreamBeats,
};
