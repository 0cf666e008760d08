import { linkedSignal, TurnqError, type ErrorCode } from "@turnq/core";
import {
  appendTurnMessages,
  finishTurn,
  type Db,
  type MessageRow,
  type NewMessage,
  type TurnRow,
  type TurnUsage,
} from "@turnq/db";
import type { LlmClient, ToolCall, Usage } from "@turnq/llm";
import { budgetFor, calibrationFrom, prepareTurnContext, rememberAppended, type ContextCache, type PrefetchedHistory, type SummaryAhead, type TurnContext } from "../context/index.ts";
import type { StartingTurn, TurnOutcome } from "../turn-outcome.ts";
import { classifyFailure } from "../turn-settlement.ts";
import { describeAgent, withAppendMessagesSpan, withLoadContextSpan } from "../turn-spans.ts";
import { workerMetrics } from "../worker-metrics.ts";
import type { AgentCatalog, ResolvedAgent } from "./agent-catalog.ts";
import type { TurnEvent } from "./turn-events.ts";
import type { TurnLive } from "../turn-live.ts";
import { DeltaBatcher } from "./delta-batcher.ts";
import { callCostMicros, type LlmPrices } from "./llm-prices.ts";
import { runToolRound } from "./tool-round.ts";
import { assistantContent, readTurnState, toolResultContent } from "./turn-state.ts";

export interface AgentLoopDeps {
  db: Db;
  llm: LlmClient;
  catalog: AgentCatalog;
  contextCache: ContextCache;
  /** Share of the prompt budget at which older history is summarised (0.75 = 75%). */
  compactionThreshold: number;
  /** Summaries written ahead of need, and from which share of the threshold (turn-context.ts). */
  compactionAhead?: { drafts: SummaryAhead; share: number } | undefined;
  prices: LlmPrices;
  maxAttempts: number;
}

export interface TurnSignals {
  /** The worker is shutting down: hand the turn back, append nothing. */
  shutdown: AbortSignal;
  /**
   * POST /v1/turns/{id}/cancel or onBusy "interrupt": stop and record what there is. Also aborted
   * with `shutdown`, so that a turn listens on one signal of its own.
   */
  cancel: AbortSignal;
}

/**
 * One turn of the agent loop: ask the model, run the tools it asks for (parallel-safe ones together,
 * results in call order), append each step under the turn's lease, repeat until the model answers or
 * the agent's limits stop it. A redelivered turn continues from what its earlier attempt logged.
 */
export async function runAgentTurn(deps: AgentLoopDeps, starting: StartingTurn, signals: TurnSignals): Promise<TurnOutcome> {
  const { turn } = starting;
  const agent = await deps.catalog.forAgent(starting.session.agentId);
  describeAgent({ name: agent.name, ...(agent.id ? { id: agent.id } : {}), ...(agent.version !== null ? { version: agent.version } : {}) });
  let pastDeadline = false;
  // `cancel` is also aborted when the worker's grace is over (cancel-registry.ts), so the turn
  // listens on its own signal only; `shutdown` says which of the two it was.
  const linked = linkedSignal([signals.cancel], {
    ms: agent.limits.turnDeadlineMs,
    reason: () => {
      pastDeadline = true;
      return new DOMException(`The turn ran past its deadline of ${agent.limits.turnDeadlineMs} ms.`, "TimeoutError");
    },
  });
  const run = new TurnRun(deps, starting, agent, linked.signal);
  try {
    if (turn.cancelRequestedAt) return await run.stop("cancelled", "cancelled", "Cancelled before it started.");
    return await run.execute();
  } catch (err) {
    if (signals.shutdown.aborted) return { kind: "released" };
    if (signals.cancel.aborted) return run.stop("cancelled", "cancelled", "Cancelled while running.");
    if (pastDeadline) {
      return run.stop("failed", "agent_limit_reached", `The turn ran past its deadline of ${agent.limits.turnDeadlineMs} ms.`);
    }
    // The error's text goes to the turn record, its span and the API: no fragment of a secret may ride along.
    const outcome = classifyFailure(err, turn, deps.maxAttempts);
    return "message" in outcome ? { ...outcome, message: agent.scrub(outcome.message) } : outcome;
  } finally {
    linked.dispose();
  }
}

class TurnRun {
  private readonly deps: AgentLoopDeps;
  private readonly turn: TurnRow;
  private readonly agent: ResolvedAgent;
  private readonly signal: AbortSignal;
  private unlogged: NewMessage[] = [];
  private usage: TurnUsage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  private costMicros = 0;

  /** Every model call of the turn counts, the summary call of a compaction included. */
  private spend(model: string, usage: Usage): void {
    this.usage.inputTokens += usage.inputTokens;
    this.usage.cachedInputTokens += usage.cachedInputTokens;
    this.usage.outputTokens += usage.outputTokens;
    this.costMicros += callCostMicros(this.deps.prices, model, usage);
  }
  private partial = "";
  private pendingCalls: ToolCall[] = [];

  constructor(deps: AgentLoopDeps, starting: StartingTurn, agent: ResolvedAgent, signal: AbortSignal) {
    this.deps = deps;
    this.turn = starting.turn;
    this.prefetched = starting.prefetched;
    // The claim read the budget; no other turn of the session can spend meanwhile.
    this.guards = { tokenBudget: starting.session.tokenBudget, tokensUsed: starting.session.tokensUsed };
    this.agent = agent;
    this.signal = signal;
    this.live = starting.live;
    this.deltas = new DeltaBatcher((text) => this.live.emit({ type: "message.delta", text }, this.lastSeq));
  }

  private calibration: number | undefined;
  private prefetched: PrefetchedHistory | undefined;
  private guards: { tokenBudget: number | null; tokensUsed: number };
  private deltas: DeltaBatcher;
  private readonly live: TurnLive;
  /** Newest log seq known durable, stamped on live events (see TurnLive.emit). */
  private lastSeq: number | undefined;

  private emit(event: TurnEvent): void {
    if (event.type !== "message.delta") this.deltas.flush();
    this.live.emit(event, this.lastSeq);
  }

  /** Durable messages become `message` events too, so watchers see the log grow. */
  private logged(rows: readonly MessageRow[]): void {
    for (const r of rows) {
      this.lastSeq = r.seq;
      this.emit({ type: "message", seq: r.seq, role: r.role, content: r.content });
    }
  }
  private compactionFailed = false;

  /**
   * The window for the next model call: loaded incrementally through the worker's cache (only rows
   * after what it holds), budgeted with the tokenizer, compacted when it grows past the threshold.
   */
  private async context(): Promise<TurnContext> {
    const ctx = await withLoadContextSpan(() =>
      prepareTurnContext(
        {
          db: this.deps.db,
          cache: this.deps.contextCache,
          llm: this.deps.llm,
          model: this.agent.model,
          summaryModel: this.agent.summaryModel,
          systemPrompt: this.agent.systemPrompt,
          budgetTokens: budgetFor(this.agent.model, this.agent.limits.maxOutputTokens ?? 1_024),
          compactionThreshold: this.deps.compactionThreshold,
          ahead: this.deps.compactionAhead,
        },
        {
          sessionId: this.turn.sessionId,
          turnId: this.turn.id,
          lease: this.turn.lease,
          newUserText: this.unlogged.some((m) => m.role === "user") ? this.turn.input : undefined,
          calibration: this.calibration,
          signal: this.signal,
          allowCompaction: !this.compactionFailed,
          prefetched: this.prefetched,
        },
      ),
    );
    this.prefetched = undefined;
    if (ctx.compaction?.ok) {
      this.spend(this.agent.summaryModel, ctx.compaction.usage);
      workerMetrics().recordCompaction(ctx.compaction.ahead ? "ahead" : "turn");
    }
    if (ctx.compaction && !ctx.compaction.ok) {
      if (ctx.compaction.code === "lease_lost") throw new TurnqError("lease_lost", ctx.compaction.message);
      this.compactionFailed = true;
    }
    return ctx;
  }

  async execute(): Promise<TurnOutcome> {
    // Assume a fresh turn (its user message not logged yet); a redelivered one loads again without it.
    this.unlogged.push({ role: "user", content: { text: this.turn.input } });
    let ctx = await this.context();
    this.lastSeq = ctx.loaded.upToSeq;
    const state = readTurnState(ctx.loaded.history.filter((m) => m.turnId === this.turn.id));
    if (state.userLogged) {
      this.unlogged = [];
      ctx = await this.context();
    }
    let iterations = state.iterations;
    let toolCalls = state.toolCallsMade;
    let fresh = true;
    if (state.unanswered.length > 0) {
      await this.runTools(state.unanswered, true);
      fresh = false;
    }

    const { maxIterations, maxToolCalls, maxOutputTokens } = this.agent.limits;
    for (;;) {
      if (iterations >= maxIterations) {
        return this.stop("failed", "agent_limit_reached", `The agent reached its limit of ${maxIterations} model calls in one turn.`);
      }
      this.checkGuards();
      if (!fresh) ctx = await this.context();
      fresh = false;
      this.partial = "";
      this.deltas.newCall();
      const reply = await this.deps.llm.chat({
        model: this.agent.model,
        messages: ctx.window.messages,
        ...(this.agent.specs.length ? { tools: this.agent.specs } : {}),
        ...(maxOutputTokens ? { maxOutputTokens } : {}),
        signal: this.signal,
        onDelta: (text) => {
          this.partial += text;
          this.deltas.push(text);
        },
      });
      // A final answer's last text goes out with the turn's settle (see finish); a tool step's now.
      if (reply.toolCalls.length > 0) this.deltas.flush();
      iterations++;
      this.spend(this.agent.model, reply.usage);
      if (reply.toolCalls.length === 0) {
        return this.finish("completed", [{ role: "assistant", content: assistantContent(reply.text, []) }], reply.text);
      }
      // For this turn's next window only; reading rawTokens tokenises the window (build-window.ts),
      // which a turn answered in one call never needs.
      if (reply.usage.inputTokens > 0) this.calibration = calibrationFrom(reply.usage.inputTokens, ctx.window.rawTokens);
      if (toolCalls + reply.toolCalls.length > maxToolCalls) {
        return this.stop("failed", "agent_limit_reached", `The agent reached its limit of ${maxToolCalls} tool calls in one turn.`);
      }
      toolCalls += reply.toolCalls.length;
      const step: NewMessage = { role: "assistant", content: assistantContent(reply.text, reply.toolCalls) };
      await this.log([step]);
      this.partial = "";
      await this.runTools(reply.toolCalls, false);
    }
  }

  /** Runs the calls and logs their results (see tool-round.ts for the crash rules). */
  private async runTools(calls: ToolCall[], resumed: boolean): Promise<void> {
    this.pendingCalls = calls;
    const entries = await runToolRound({
      db: this.deps.db,
      turn: this.turn,
      registry: this.agent.registry,
      signal: this.signal,
      calls,
      resumed,
      emit: (e) => this.emit(e),
    });
    this.pendingCalls = [];
    if (this.signal.aborted) {
      // Cancelled mid-tools: the results (some "cancelled") go in with the final append.
      this.unlogged.push(...entries);
      throw this.signal.reason;
    }
    await this.log(entries);
  }

  private async log(entries: NewMessage[]): Promise<void> {
    const messages = [...this.unlogged, ...entries];
    const rows = await withAppendMessagesSpan(messages.length, () =>
      appendTurnMessages(this.deps.db, { turnId: this.turn.id, lease: this.turn.lease, messages }),
    );
    this.unlogged = [];
    rememberAppended(this.deps.contextCache, this.turn.sessionId, rows);
    this.logged(rows);
  }

  /**
   * Before each model call: the session's token budget, as the claim read it plus what this turn
   * spent. (A cancel requested before the claim is on the claimed row; one after it arrives over
   * Redis, and the cancel registry remembers one that came before the turn's signal was open.)
   */
  private checkGuards(): void {
    const { tokenBudget, tokensUsed } = this.guards;
    if (tokenBudget !== null && tokensUsed + this.usage.inputTokens + this.usage.outputTokens >= tokenBudget) {
      throw new TurnqError(
        "token_budget_exhausted",
        `The session has used its token budget of ${tokenBudget}; create a new session or raise the budget.`,
      );
    }
  }

  async finish(status: "completed" | "cancelled" | "failed", last: NewMessage[], output: string | null, error?: { code: ErrorCode; message: string }) {
    const messages = [...this.unlogged, ...last];
    const trailing = { text: this.deltas.take(), seq: this.lastSeq };
    // One statement, so its own database span (INSERT messages, finish_turn) needs no wrapper.
    const { turn, messages: rows, webhookDeliveries } = await finishTurn(this.deps.db, {
      turnId: this.turn.id,
      lease: this.turn.lease,
      messages,
      status,
      output,
      error,
      usage: this.usage,
      costMicros: this.costMicros,
      agentVersion: this.agent.version ?? undefined,
    });
    this.unlogged = [];
    rememberAppended(this.deps.contextCache, this.turn.sessionId, rows);
    // The last text delta and the log entries' events go out with the turn's settle (one Redis call).
    if (rows.length > 0) this.lastSeq = rows.at(-1)!.seq;
    const settled = { turn, appended: rows, webhookDeliveries, ...(trailing.text ? { trailingDelta: trailing } : {}) };
    if (status === "completed") return { kind: "completed", ...settled } as const;
    return { kind: "stopped", status, code: error?.code ?? "internal", message: error?.message ?? "", ...settled } as const;
  }

  /**
   * Ends the turn early but leaves a log the next model call accepts: what the model had said so far
   * (marked interrupted) and a result for every tool call that has none.
   */
  async stop(status: "cancelled" | "failed", code: ErrorCode, message: string): Promise<TurnOutcome> {
    const tail: NewMessage[] = [];
    if (this.partial) tail.push({ role: "assistant", content: assistantContent(this.partial, [], true) });
    for (const c of this.pendingCalls) tail.push({ role: "tool", content: toolResultContent(c.id, `Not run: ${message}`) });
    // Nothing said yet: the log stays as it was (the input remains on the turn record).
    if (tail.length === 0 && this.unlogged.every((m) => m.role === "user")) this.unlogged = [];
    return this.finish(status, tail, null, { code, message });
  }
}
