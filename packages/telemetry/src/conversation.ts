import { context, createContextKey, type Attributes, type Context } from "@opentelemetry/api";

import { GenAiAttr } from "./genai.ts";

/**
 * The session (conversation) a piece of work belongs to, carried in the OpenTelemetry context so
 * that every span started under it, by any package, can carry `gen_ai.conversation.id`: our own
 * spans (through `withSpan`), the database spans of `@turnq/db`, and undici's HTTP client spans
 * (through the instrumentation's start hook). It is a private context value, deliberately not
 * baggage: baggage would be propagated to the LLM provider in request headers.
 *
 * `createContextKey` is `Symbol.for(description)`, so a package that depends on
 * `@opentelemetry/api` only (packages/db) reads the same value with the same description.
 */
export const CONVERSATION_CONTEXT_KEY_NAME = "turnq.gen_ai.conversation.id";
const CONVERSATION_KEY = createContextKey(CONVERSATION_CONTEXT_KEY_NAME);

/** `ctx` (the active context by default) with the conversation id set. */
export function contextWithConversation(conversationId: string, ctx: Context = context.active()): Context {
  return ctx.setValue(CONVERSATION_KEY, conversationId);
}

/** The conversation id carried by `ctx`, if any. */
export function conversationIdOf(ctx: Context = context.active()): string | undefined {
  const value = ctx.getValue(CONVERSATION_KEY);
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** `{ "gen_ai.conversation.id": id }` for the context, or `{}`. */
export function conversationAttributes(ctx: Context = context.active()): Attributes {
  const id = conversationIdOf(ctx);
  return id ? { [GenAiAttr.conversationId]: id } : {};
}
