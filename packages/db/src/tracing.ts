import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import type postgres from "postgres";

/**
 * Database spans for postgres.js, which has no OpenTelemetry instrumentation. Spans follow the
 * database semantic conventions (`db.system.name`, `db.operation.name`, `db.collection.name`,
 * parameterised `db.query.text`, kind CLIENT) and are made only inside an existing span: the
 * worker's polling and the reconciler must not become a stream of root traces.
 */
const TRACER = "@turnq/db";
/** Same description as @turnq/telemetry's conversation key; createContextKey is Symbol.for(description). */
const CONVERSATION_KEY = createContextKey("turnq.gen_ai.conversation.id");
const QUERY_TEXT_MAX = 2_048;

/**
 * Runs `fn` (one statement, or a few that form one repository operation) in a CLIENT span named
 * `{operation} {collection}`. `query` is the SQL text, which must be parameterised ($1, $2…) and
 * never carry values, or a named statement of raw-rows.ts, recorded by its name.
 */
export async function traced<T>(
  operation: string,
  collection: string,
  query: string | { name: string },
  fn: () => PromiseLike<T> | T,
  extra: Attributes = {},
): Promise<T> {
  const parent = context.active();
  // Outside a trace, or in one nothing records (no exporter, not sampled): no span, no attributes.
  if (!trace.getSpan(parent)?.isRecording()) return fn();
  const conversation = parent.getValue(CONVERSATION_KEY);
  const span = trace.getTracer(TRACER).startSpan(
    `${operation} ${collection}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.collection.name": collection,
        ...(typeof query === "string"
          ? { "db.query.text": query.length > QUERY_TEXT_MAX ? `${query.slice(0, QUERY_TEXT_MAX)}…` : query }
          : { "turnq.db.statement": query.name }),
        ...extra,
        ...(typeof conversation === "string" ? { "gen_ai.conversation.id": conversation } : {}),
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    // postgres.js errors carry the SQLSTATE in `code` (e.g. 40001); semconv wants it in db.response.status_code.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) span.setAttribute("db.response.status_code", code);
    span.setAttribute("error.type", typeof code === "string" ? code : err instanceof Error ? err.name : "unknown");
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** `SELECT`/`INSERT`/… and the first table of a statement drizzle generated. */
export function describeQuery(text: string): { operation: string; collection: string } {
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? "QUERY";
  const collection = /\b(?:into|update|from)\s+"?([A-Za-z_][\w]*)"?/i.exec(text)?.[1] ?? "unknown";
  return { operation, collection };
}

/**
 * A postgres.js client whose `unsafe` queries (everything drizzle sends) are traced with the real
 * parameterised SQL, including inside transactions and savepoints. Tagged-template queries of the
 * raw client (readiness probes, migrations) are left alone.
 */
export function instrumentSql(sql: postgres.Sql, base: Attributes = serverAttributes(sql)): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === uninstrumented) return { sql: target, base };
      const value: unknown = Reflect.get(target, prop);
      if (prop === "unsafe") {
        return (query: string, params?: unknown[], opts?: unknown) =>
          tracedQuery((target.unsafe as unknown as (...a: unknown[]) => PendingLike)(query, params, opts), query, base);
      }
      if ((prop === "begin" || prop === "savepoint") && typeof value === "function") {
        return (...args: unknown[]) => {
          const last = args.length - 1;
          const cb = args[last];
          if (typeof cb === "function") args[last] = (tx: postgres.Sql) => (cb as (t: postgres.Sql) => unknown)(instrumentSql(tx, base));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
}

type PendingLike = PromiseLike<unknown> & { values(): PendingLike };

/** The client under an instrumented one, for callers that name their statements' spans themselves. */
export const uninstrumented = Symbol("turnq.uninstrumented");

export function underlyingSql(sql: postgres.Sql): { sql: postgres.Sql; base: Attributes } {
  return ((sql as unknown as Record<symbol, { sql: postgres.Sql; base: Attributes } | undefined>)[uninstrumented]) ?? { sql, base: {} };
}

/** A lazy query: postgres.js sends it when awaited, so the span starts there, not at creation. */
function tracedQuery(query: PendingLike, text: string, base: Attributes): PromiseLike<unknown> {
  let q = query;
  const { operation, collection } = describeQuery(text);
  let running: Promise<unknown> | undefined;
  const run = () => (running ??= traced(operation, collection, text, () => q, base));
  const wrapper = {
    values() {
      q = q.values();
      return wrapper;
    },
    then<A = unknown, B = never>(onOk?: ((v: unknown) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null) {
      return run().then(onOk, onErr);
    },
    catch<B = never>(onErr?: ((e: unknown) => B | PromiseLike<B>) | null) {
      return run().catch(onErr);
    },
    finally(onFinally?: (() => void) | null) {
      return run().finally(onFinally);
    },
  };
  return wrapper;
}

function serverAttributes(sql: postgres.Sql): Attributes {
  const o = sql.options as { host?: string[]; port?: number[]; database?: string };
  return {
    ...(o.database ? { "db.namespace": o.database } : {}),
    ...(o.host?.[0] ? { "server.address": o.host[0] } : {}),
    ...(o.port?.[0] ? { "server.port": o.port[0] } : {}),
  };
}
