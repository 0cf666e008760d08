/** Test helpers: `@turnq/telemetry/testing`. Not for production code paths. */
export { createInMemoryTracing, type InMemoryTracing } from "./in-memory-tracing.ts";
export { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from "./otlp-receiver.ts";
export type { AttributeValue, ReceivedSpan } from "./otlp-normalize.ts";
export { buildTree, formatTree, type SpanNode } from "./span-tree.ts";
export { OtlpSpanKind, OtlpStatusCode } from "./otlp-codes.ts";
