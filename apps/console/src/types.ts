/** Shapes of the API's answers, as the console reads them. */
export interface Page<T> {
  data: T[];
}

export interface SessionSummary {
  id: string;
  agentId: string | null;
  metadata: Record<string, unknown>;
  tokensUsed: number;
  costUsd: number;
  createdAt: string;
  lastTurnAt: string | null;
  lastTurnStatus: string | null;
  openTurns: number;
}

export interface Session {
  id: string;
  agentId: string | null;
  metadata: Record<string, unknown>;
  tokenBudget: number | null;
  tokensUsed: number;
  costUsd: number;
  lastSeq: number;
  createdAt: string;
}

export interface Turn {
  id: string;
  sessionId: string;
  position: number;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
  input: string;
  output: string | null;
  error: { code: string; message: string } | null;
  attempts: number;
  crashes: number;
  agentVersion: number | null;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number; costUsd: number };
  cancelRequested: boolean;
  traceId: string | null;
  traceUrl?: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  queuePosition?: number;
  blockedBy?: string | null;
}

export interface MessageContent {
  text?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
  interrupted?: boolean;
  summary?: { fromSeq: number; toSeq: number };
}

export interface Message {
  seq: number;
  role: "system" | "user" | "assistant" | "tool";
  content: MessageContent;
  turnId: string;
  traceId: string | null;
  createdAt: string;
}

export type TimelineEntry =
  | { kind: "submitted"; at: string }
  | { kind: "waiting_behind"; at: string; ms: number; turnId: string }
  | { kind: "queued"; at: string; ms: number }
  | { kind: "attempt"; at: string; n: number }
  | { kind: "llm_call"; at: string; ms: number; ttftMs: number | null; endedBy: string }
  | { kind: "tool"; at: string; ms: number | null; name: string; callId: string; ok: boolean | null }
  | { kind: "append"; at: string; fromSeq: number; toSeq: number; messages: number }
  | { kind: "finished"; at: string; status: string };

export interface Timeline {
  turn: Turn;
  entries: TimelineEntry[];
  liveEvents: boolean;
}

export interface Agent {
  id: string;
  version: number;
  name: string;
  model: string | null;
  summaryModel: string | null;
  systemPrompt: string;
  tools: string[];
  httpTools: { name: string; description: string; url: string; headerNames: string[]; parallelSafe?: boolean; idempotent?: boolean }[];
  limits: Record<string, number>;
  createdAt: string;
}

export interface FleetWorker {
  instanceId: string;
  host: string;
  pid: number;
  breaker: string;
  provider: string | null;
  connectionsWarm: boolean;
  turnsInFlight: number;
  reconcilerRepairs: number;
  lastSeenMs: number;
}

export interface Fleet {
  at: string;
  shards: { name: string; counts: Record<string, number> | null; inFlight: number }[];
  workers: FleetWorker[];
  breakers: { provider: string; open: number; closed: number }[];
  reconcilerRepairs: number;
  minutes: number;
  series: {
    minute: string;
    turns: number;
    failed: number;
    queueWaitP50: number | null;
    queueWaitP99: number | null;
    durationP50: number | null;
    durationP99: number | null;
  }[];
}
