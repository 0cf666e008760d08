import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";

export type InMemoryTracing = {
  /** Ended spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** Forgets the spans recorded so far. */
  reset(): void;
  /** Unregisters the provider, context manager and propagator so the next test starts clean. */
  shutdown(): Promise<void>;
};

/**
 * Registers a real tracer provider for in-process tests: spans are exported synchronously on end
 * (simple processor) into memory, context flows through async/await (AsyncLocalStorage), and the
 * W3C propagator is global. Call `shutdown()` in afterEach. Fails loudly if a provider is already
 * registered (e.g. the NodeSDK in the same process), since the spans would then go elsewhere.
 */
export function createInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();

  const registered =
    trace.setGlobalTracerProvider(provider) &&
    context.setGlobalContextManager(contextManager) &&
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (!registered) {
    disableGlobals();
    throw new Error("createInMemoryTracing: OpenTelemetry globals already registered; shut the previous one down first");
  }

  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      await provider.shutdown();
      disableGlobals();
      contextManager.disable();
    },
  };
}

function disableGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}
