/**
 * OTLP wire values for span kind and status. They differ from the `@opentelemetry/api` enums
 * (API SpanKind.INTERNAL is 0, OTLP's is 1), so assertions on received spans should use these.
 */
export const OtlpSpanKind = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
} as const;

export const OtlpStatusCode = {
  unset: 0,
  ok: 1,
  error: 2,
} as const;
