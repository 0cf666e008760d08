import { toolNamePattern } from "@turnq/core";

/**
 * The one internal shape every tool has, whatever its origin (a zod-typed code tool from `defineTool`,
 * or an HTTP tool declared in config with a plain JSON schema). The registry and the executor only
 * ever see this shape, so both kinds get the same validation, timeouts and error handling.
 */

/** A JSON schema object, as sent to the model. */
export type JsonSchema = { [key: string]: unknown };

/** What the model is told about a tool. Computed once per tool and frozen; never rebuilt per call. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

export interface ToolContext {
  /** Aborted when the call times out or the turn is cancelled. Tools should pass it to their I/O. */
  signal: AbortSignal;
  /**
   * `${turnId}:${callId}`: stable across re-runs of the same call after a crash, so tools with side
   * effects can hand it to the system they call and let that system deduplicate.
   */
  idempotencyKey: string;
  turnId: string;
  sessionId: string;
  callId: string;
}

export type ValidationResult = { ok: true; value: unknown } | { ok: false; message: string };

export interface Tool {
  readonly name: string;
  readonly spec: ToolSpec;
  /** May run concurrently with other calls of the same LLM response. */
  readonly parallelSafe: boolean;
  /** May be re-run after a crash left its outcome unknown. */
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  /** Checks parsed JSON arguments; `value` is what `run` receives. Must not throw. */
  validate(args: unknown): ValidationResult;
  run(args: unknown, ctx: ToolContext): Promise<unknown>;
  /** Releases resources the tool holds (connection pools). Optional; idempotent. */
  close?(): Promise<void>;
}

// One pattern for the API (which refuses bad names when an agent is created) and the tools here.
export { toolNamePattern };

export function assertToolName(name: string): void {
  if (!toolNamePattern.test(name)) {
    throw new TypeError(`invalid tool name ${JSON.stringify(name)}: must match ${toolNamePattern.source}`);
  }
}

export function assertTimeout(name: string, timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`tool "${name}": timeoutMs must be a positive number, got ${timeoutMs}`);
  }
}

/** Deep-freezes a spec so a caller mutating the shared object cannot change what later turns send. */
export function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freezeDeep(v);
  }
  return value;
}
