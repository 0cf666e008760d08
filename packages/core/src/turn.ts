export const turnStatuses = ["queued", "running", "completed", "failed", "cancelled"] as const;
export type TurnStatus = (typeof turnStatuses)[number];

export const terminalStatuses: ReadonlySet<TurnStatus> = new Set(["completed", "failed", "cancelled"]);

export function isTerminal(status: TurnStatus): boolean {
  return terminalStatuses.has(status);
}

export const messageRoles = ["system", "user", "assistant", "tool"] as const;
export type MessageRole = (typeof messageRoles)[number];

/** What a message holds. Text, tool calls from the assistant, or a tool result. */
export interface MessageContent {
  text?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
  /** Set on assistant text cut short by a cancel or a deadline: what the model had said so far. */
  interrupted?: boolean;
  /**
   * Set only on compaction summaries (role "system"): the inclusive seq range of log entries newly
   * folded into the summary's text. The covered messages stay in the log untouched.
   */
  summary?: { fromSeq: number; toSeq: number };
}

/** Bounds enforced at the edge and relied on everywhere behind it. */
export const limits = {
  /** Largest accepted turn input, in bytes of UTF-8. */
  inputBytes: 256 * 1024,
  /** Largest accepted request body, in bytes (input plus JSON overhead and metadata). */
  requestBodyBytes: 512 * 1024,
  /** Largest session metadata object, serialised. */
  metadataBytes: 16 * 1024,
  /** Largest agent definition (POST/PUT /v1/agents), in bytes. */
  agentBodyBytes: 512 * 1024,
  /** Largest `parameters` JSON Schema of one HTTP tool, serialised. */
  toolParametersBytes: 64 * 1024,
  /**
   * Deepest nesting of objects and arrays in any accepted JSON body (`{}` is depth 1). Checked
   * iteratively before any schema runs, so no recursive validator or serialiser meets deeper input.
   */
  jsonDepth: 64,
  idempotencyKeyLength: 255,
  maxWaitSeconds: 60,
  maxPageSize: 500,
} as const;
