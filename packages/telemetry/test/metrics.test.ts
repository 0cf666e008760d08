import { afterEach, describe, expect, it } from "vitest";

import { createTurnMetrics, metricsText, shutdownTelemetry, startTelemetry, turnqMeter } from "../src/index.ts";

afterEach(async () => {
  await shutdownTelemetry();
});

describe("metricsText", () => {
  it("renders recorded turn and GenAI metrics and observable gauges in Prometheus text", async () => {
    // No tracing pipeline and no OTLP endpoint: only the Prometheus reader, all in-process.
    const info = startTelemetry({ env: { OTEL_SERVICE_NAME: "metrics-test" }, spanProcessors: [] });
    expect(info.enabled).toBe(true);
    const m = createTurnMetrics(turnqMeter(), {
      queueDepth: () => [{ value: 4, attributes: { state: "waiting" } }, { value: 1, attributes: { state: "active" } }],
      sessionsWaiting: async () => 2,
    });
    m.recordTurnDuration(1.5, { outcome: "completed" });
    m.recordQueueWait(0.02);
    m.turnStarted();
    m.recordLlmDuration(0.8, { operation: "chat", provider: "openai", requestModel: "gpt-x" });
    m.recordTokenUsage({ input: 120, output: 30 }, { operation: "chat", provider: "openai", requestModel: "gpt-x" });
    m.recordError("llm_timeout");

    const text = await metricsText();
    expect(text).toMatch(/^turnq_turn_duration_bucket\{.*outcome="completed".*\} 1$/m);
    expect(text).toMatch(/^turnq_turn_duration_count\{[^}]*\} 1$/m);
    expect(text).toMatch(/^turnq_turns_in_flight\{[^}]*\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_token_usage_count\{[^}]*gen_ai_token_type="input"[^}]*\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_operation_duration_sum\{[^}]*\} 0\.8$/m);
    expect(text).toMatch(/^turnq_errors_total\{[^}]*turnq_error_code="llm_timeout"[^}]*\} 1$/m);
    expect(text).toMatch(/^turnq_queue_depth\{[^}]*state="waiting"[^}]*\} 4$/m);
    expect(text).toMatch(/^turnq_sessions_waiting\{[^}]*\} 2$/m);
    m.dispose();
  });

  it("counts turns in flight per tenant and reads them at collection, a tenant back at zero included", async () => {
    startTelemetry({ env: { OTEL_SERVICE_NAME: "metrics-test" }, spanProcessors: [] });
    const m = createTurnMetrics(turnqMeter());
    m.turnStarted("ten_a");
    m.turnStarted("ten_a");
    m.turnStarted("ten_b");
    m.turnFinished("ten_a");
    let text = await metricsText();
    expect(text).toMatch(/^turnq_turns_in_flight\{[^}]*turnq_tenant_id="ten_a"[^}]*\} 1$/m);
    expect(text).toMatch(/^turnq_turns_in_flight\{[^}]*turnq_tenant_id="ten_b"[^}]*\} 1$/m);
    m.turnFinished("ten_b");
    text = await metricsText();
    expect(text).toMatch(/^turnq_turns_in_flight\{[^}]*turnq_tenant_id="ten_b"[^}]*\} 0$/m);
    expect(text).toMatch(/^# TYPE turnq_turns_in_flight gauge$/m);
    m.dispose();
  });

  it("returns an empty document and records nothing when telemetry is disabled", async () => {
    const info = startTelemetry({ env: { OTEL_SDK_DISABLED: "true" } });
    expect(info.enabled).toBe(false);
    const m = createTurnMetrics(turnqMeter());
    m.recordTurnDuration(1);
    expect(await metricsText()).toBe("");
  });
});
