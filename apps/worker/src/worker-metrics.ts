import { createTurnMetrics, turnqMeter, type TurnMetrics, type TurnMetricsSources } from "@turnq/telemetry";

let metrics: TurnMetrics | undefined;

/**
 * The worker's instruments, created once per process (on the meter the register entry installed; a
 * no-op meter when telemetry is off). `start-worker` calls it first with the queue gauge sources;
 * span helpers call it without arguments.
 */
export function workerMetrics(sources?: TurnMetricsSources): TurnMetrics {
  metrics ??= createTurnMetrics(turnqMeter(), sources);
  return metrics;
}

/** Drops the instruments' gauge callbacks (worker shutdown). */
export function disposeWorkerMetrics(): void {
  metrics?.dispose();
  metrics = undefined;
}
