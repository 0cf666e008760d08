import { metrics, type Attributes, type Meter, type ObservableResult } from "@opentelemetry/api";

import { ATTR_ERROR_TYPE, GenAiAttr, GenAiMetric, GenAiTokenType } from "./genai.ts";
import { ATTR_TURNQ_ERROR_CODE } from "./tracing.ts";
import { turnqVersion } from "./version.ts";

/** The tenant a turn metric belongs to (every turn metric carries it). */
export const ATTR_TURNQ_TENANT_ID = "turnq.tenant.id";

/** Who wrote an appended summary: "ahead" (summary-ahead.ts in the worker) or "turn". */
export const ATTR_TURNQ_SUMMARY_WRITTEN = "turnq.summary.written";

/** The turnq meter from the registered provider (a no-op one when telemetry is disabled). */
export function turnqMeter(): Meter {
  return metrics.getMeter("turnq", turnqVersion());
}

/** A gauge reading: one number, or one number per attribute set (e.g. per queue state). */
export type GaugeReading = number | ReadonlyArray<{ value: number; attributes?: Attributes }>;
export type GaugeSource = () => GaugeReading | Promise<GaugeReading>;

export type TurnMetricsSources = {
  /** Jobs waiting in the turn queue; read on every collection (scrape or OTLP export). */
  queueDepth?: GaugeSource;
  /** Sessions that have a turn waiting for their mailbox. */
  sessionsWaiting?: GaugeSource;
};

/** Attributes of one LLM call, per the GenAI client conventions. */
export type GenAiCallAttributes = {
  operation: string;
  provider: string;
  requestModel: string;
  responseModel?: string;
  /** Set on failed calls (a turnq error code or exception class). */
  errorType?: string;
};

// Bucket boundaries: the GenAI ones are the semconv-advised sets; the turn ones span a quick reply
// to a long multi-tool turn.
const TURN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const GENAI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export type TurnMetrics = ReturnType<typeof createTurnMetrics>;

/** Defines every turnq instrument on `meter` and returns small, typed recording functions. */
export function createTurnMetrics(meter: Meter, sources: TurnMetricsSources = {}) {
  const seconds = (name: string, description: string, buckets: number[]) =>
    meter.createHistogram(name, { description, unit: "s", advice: { explicitBucketBoundaries: buckets } });

  const turnDuration = seconds("turnq.turn.duration", "Time from a worker picking up a turn to its final state", TURN_BUCKETS);
  const queueWait = seconds("turnq.turn.queue_wait", "Time a turn waited between acceptance and pickup", WAIT_BUCKETS);
  const toolDuration = seconds("turnq.tool.duration", "Duration of one tool execution", TURN_BUCKETS);
  const timeToFirstChunk = seconds("turnq.llm.time_to_first_chunk", "Time from sending an LLM request to its first streamed chunk", GENAI_DURATION_BUCKETS);
  const genAiDuration = seconds(GenAiMetric.operationDuration, "GenAI operation duration", GENAI_DURATION_BUCKETS);
  const tokenUsage = meter.createHistogram(GenAiMetric.tokenUsage, {
    description: "Number of input and output tokens used",
    unit: "{token}",
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  // Counted here and read at each collection, rather than two `add`s a turn: every synchronous
  // record sorts and serialises its attributes in the SDK, on the hot path.
  const inFlightByTenant = new Map<string, number>();
  const inFlight = meter.createObservableUpDownCounter("turnq.turns.in_flight", { description: "Turns currently being processed", unit: "{turn}" });
  const errors = meter.createCounter("turnq.errors", { description: "Errors by turnq error code", unit: "{error}" });
  const compactions = meter.createCounter("turnq.compactions", {
    description: "Summaries appended to session logs, by who wrote them: ahead (in the background, before a turn needed it) or turn (the turn that needed it waited for the call)",
    unit: "{summary}",
  });
  const reconcilerRepairs = meter.createCounter("turnq.reconciler.repairs", {
    description: "Sessions the reconciler found with unfinished turns but no drain job, and started one for",
    unit: "{session}",
  });

  const queueDepth = meter.createObservableGauge("turnq.queue.depth", { description: "Jobs in the turn queue", unit: "{job}" });
  const sessionsWaiting = meter.createObservableGauge("turnq.sessions.waiting", { description: "Sessions with a turn waiting", unit: "{session}" });
  const unobserve: Array<() => void> = [];
  for (const [gauge, source] of [[queueDepth, sources.queueDepth], [sessionsWaiting, sources.sessionsWaiting]] as const) {
    if (!source) continue;
    const callback = (result: ObservableResult) => observeReading(result, source);
    gauge.addCallback(callback);
    unobserve.push(() => gauge.removeCallback(callback));
  }
  const observeInFlight = (result: ObservableResult) => {
    for (const [tenantId, turns] of inFlightByTenant) result.observe(turns, tenantId ? { [ATTR_TURNQ_TENANT_ID]: tenantId } : {});
  };
  inFlight.addCallback(observeInFlight);
  unobserve.push(() => inFlight.removeCallback(observeInFlight));
  const countInFlight = (tenantId: string | undefined, by: number) => {
    const key = tenantId ?? "";
    inFlightByTenant.set(key, (inFlightByTenant.get(key) ?? 0) + by);
  };

  const genAi = (a: GenAiCallAttributes): Attributes => ({
    [GenAiAttr.operationName]: a.operation,
    [GenAiAttr.providerName]: a.provider,
    [GenAiAttr.requestModel]: a.requestModel,
    ...(a.responseModel ? { [GenAiAttr.responseModel]: a.responseModel } : {}),
    ...(a.errorType ? { [ATTR_ERROR_TYPE]: a.errorType } : {}),
  });

  return {
    recordTurnDuration: (s: number, attributes: Attributes = {}) => turnDuration.record(s, attributes),
    recordQueueWait: (s: number, attributes: Attributes = {}) => queueWait.record(s, attributes),
    /** A turn of `tenantId` began / ended here (`turnq.turns.in_flight`, by `turnq.tenant.id`). */
    turnStarted: (tenantId?: string) => countInFlight(tenantId, 1),
    turnFinished: (tenantId?: string) => countInFlight(tenantId, -1),
    recordLlmDuration: (s: number, call: GenAiCallAttributes) => genAiDuration.record(s, genAi(call)),
    recordTokenUsage: (usage: { input?: number; output?: number }, call: GenAiCallAttributes) => {
      const base = genAi(call);
      if (usage.input !== undefined) tokenUsage.record(usage.input, { ...base, [GenAiAttr.tokenType]: GenAiTokenType.input });
      if (usage.output !== undefined) tokenUsage.record(usage.output, { ...base, [GenAiAttr.tokenType]: GenAiTokenType.output });
    },
    recordTimeToFirstChunk: (s: number, call: GenAiCallAttributes) => timeToFirstChunk.record(s, genAi(call)),
    recordToolDuration: (s: number, toolName: string, errorType?: string) =>
      toolDuration.record(s, { [GenAiAttr.toolName]: toolName, ...(errorType ? { [ATTR_ERROR_TYPE]: errorType } : {}) }),
    recordError: (code: string, attributes: Attributes = {}) => errors.add(1, { ...attributes, [ATTR_TURNQ_ERROR_CODE]: code }),
    recordReconcilerRepairs: (sessions: number) => reconcilerRepairs.add(sessions),
    recordCompaction: (written: "ahead" | "turn") => compactions.add(1, { [ATTR_TURNQ_SUMMARY_WRITTEN]: written }),
    /** Detaches the gauge callbacks (tests, or an app rebuilding its sources). */
    dispose: () => unobserve.splice(0).forEach((off) => off()),
  };
}

async function observeReading(result: ObservableResult, source: GaugeSource): Promise<void> {
  const reading = await source();
  if (typeof reading === "number") result.observe(reading);
  else for (const { value, attributes } of reading) result.observe(value, attributes);
}
