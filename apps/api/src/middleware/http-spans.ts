import { contextWithConversation, propagation, SpanKind, SpanStatusCode, spansMayRecord, withSpan, ROOT_CONTEXT } from "@turnq/telemetry";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { header, headerNames } from "../node-request.ts";

const headerGetter = {
  get: (c: Context, key: string) => header(c, key),
  keys: (c: Context) => headerNames(c),
};

/**
 * A SERVER span per request, named `{method} {route}` (e.g. `POST /v1/sessions/{id}/turns`), with
 * the HTTP semantic-convention attributes. An incoming `traceparent` is continued. Requests under
 * `/v1/sessions/{id}` carry the session as `gen_ai.conversation.id` on this span and every span
 * started inside it. 5xx responses mark the span as failed; 4xx are the client's, not ours.
 */
export function httpServerSpans(opts: { ignore?: (path: string) => boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (opts.ignore?.(path)) return next();
    let parent = propagation.extract(ROOT_CONTEXT, c, headerGetter);
    const sessionId = /^\/v1\/sessions\/(ses_[A-Za-z0-9_-]+)/.exec(path)?.[1];
    if (sessionId) parent = contextWithConversation(sessionId, parent);
    const method = c.req.method;
    const recording = spansMayRecord();
    const url = recording ? new URL(c.req.url) : undefined;
    await withSpan(
      method,
      {
        kind: SpanKind.SERVER,
        parent,
        attributes: url
          ? {
              "http.request.method": method,
              "url.path": path,
              "url.scheme": url.protocol.replace(":", ""),
              ...(url.port ? { "server.port": Number(url.port) } : {}),
            }
          : {},
      },
      async (span) => {
        await next();
        if (!span.isRecording()) return;
        const route = routeTemplate(c);
        if (route) {
          span.setAttribute("http.route", route);
          span.updateName(`${method} ${route}`);
        }
        const status = c.res.status;
        span.setAttribute("http.response.status_code", status);
        if (status >= 500) {
          span.setAttribute("error.type", String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      },
    );
  };
}

// Route path -> template. Keys are the app's own route patterns, a few dozen at most; the regex
// ran on every recorded request before (0.6 % of the API's CPU when exporting, in the bench).
const templates = new Map<string, string>();

/** The matched route's template with `{param}` placeholders; undefined when nothing matched (404). */
function routeTemplate(c: Parameters<MiddlewareHandler>[0]): string | undefined {
  // Middleware registered with use() has method "ALL"; the last real route is the handler's.
  const path = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path;
  if (path === undefined) return undefined;
  let template = templates.get(path);
  if (template === undefined) templates.set(path, (template = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}")));
  return template;
}
