import { z } from "zod";
import { agent } from "./agents.ts";
import { agentId, jsonValue, sessionId, timestamp, turnId } from "./common.ts";
import { turn, turnStatus } from "./turns.ts";

// The reads the console is built on: lists, a turn's timeline, the fleet. Any API client may use them.

const nextBefore = (what: string) => z.string().nullable().meta({ description: `Pass as \`before\` for the next (older) page: ${what}; null on the last.` });

export const sessionListItem = z
  .object({
    id: sessionId,
    agentId: agentId.nullable(),
    metadata: z.record(z.string(), jsonValue),
    tokensUsed: z.number().int(),
    costUsd: z.number(),
    createdAt: timestamp,
    lastTurnAt: timestamp.nullable(),
    lastTurnStatus: turnStatus.nullable(),
    openTurns: z.number().int().meta({ description: "Its queued and running turns." }),
  })
  .meta({ id: "SessionListItem" });

export const sessionPage = z.object({ data: z.array(sessionListItem), nextBefore: nextBefore("a session id") }).meta({ id: "SessionPage" });

export const turnPage = z
  .object({
    data: z.array(turn),
    nextBefore: z.number().int().nullable().meta({ description: "Pass as `before` for the next (older) page: a position; null on the last (always null with open=true)." }),
  })
  .meta({ id: "TurnPage" });

export const agentPage = z.object({ data: z.array(agent), nextBefore: nextBefore("an agent id") }).meta({ id: "AgentPage" });
export const agentVersionList = z.object({ data: z.array(agent).meta({ description: "Every version, newest first." }) }).meta({ id: "AgentVersionList" });

const at = timestamp;
export const timelineEntry = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("submitted"), at }),
    z.object({ kind: z.literal("waiting_behind"), at, ms: z.number(), turnId }),
    z.object({ kind: z.literal("queued"), at, ms: z.number() }),
    z.object({ kind: z.literal("attempt"), at, n: z.number().int() }),
    z.object({ kind: z.literal("llm_call"), at, ms: z.number(), ttftMs: z.number().nullable(), endedBy: z.enum(["tools", "answer", "unknown"]) }),
    z.object({ kind: z.literal("tool"), at, ms: z.number().nullable(), name: z.string(), callId: z.string(), ok: z.boolean().nullable() }),
    z.object({ kind: z.literal("append"), at, fromSeq: z.number().int(), toSeq: z.number().int(), messages: z.number().int() }),
    z.object({ kind: z.literal("finished"), at, status: z.string() }),
  ])
  .meta({ id: "TimelineEntry", description: "One stage of a turn, with its start and (for spans of time) its length in milliseconds." });

export const turnTimeline = z
  .object({
    turn,
    entries: z.array(timelineEntry),
    liveEvents: z.boolean().meta({ description: "Whether the live events (LLM calls, tools) were still in Redis; false: only what Postgres keeps." }),
  })
  .meta({ id: "TurnTimeline" });

export const fleet = z
  .object({
    at: timestamp,
    shards: z.array(
      z.object({
        name: z.string(),
        counts: z.record(z.string(), z.number()).nullable().meta({ description: "BullMQ job counts; null: Redis did not answer." }),
        inFlight: z.number().int(),
      }),
    ),
    workers: z.array(
      z.object({
        instanceId: z.string(),
        host: z.string(),
        pid: z.number().int(),
        breaker: z.string(),
        provider: z.string().nullable(),
        connectionsWarm: z.boolean(),
        turnsInFlight: z.number().int(),
        reconcilerRepairs: z.number().int(),
        lastSeenMs: z.number(),
      }),
    ),
    breakers: z.array(z.object({ provider: z.string(), open: z.number().int(), closed: z.number().int() })),
    reconcilerRepairs: z.number().int(),
    minutes: z.number().int(),
    series: z.array(
      z.object({
        minute: timestamp,
        turns: z.number().int(),
        failed: z.number().int(),
        queueWaitP50: z.number().nullable(),
        queueWaitP99: z.number().nullable(),
        durationP50: z.number().nullable(),
        durationP99: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: "Fleet", description: "Queue depth, live workers, LLM breakers, and the caller's per-minute turn statistics." });

export type SessionListItem = z.infer<typeof sessionListItem>;
export type SessionPage = z.infer<typeof sessionPage>;
export type TurnPage = z.infer<typeof turnPage>;
export type AgentPage = z.infer<typeof agentPage>;
export type AgentVersionList = z.infer<typeof agentVersionList>;
export type TimelineEntry = z.infer<typeof timelineEntry>;
export type TurnTimeline = z.infer<typeof turnTimeline>;
export type Fleet = z.infer<typeof fleet>;
