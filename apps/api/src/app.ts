import { TurnqError } from "@turnq/core";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "./deps.ts";
import { httpServerSpans } from "./middleware/http-spans.ts";
import { onError, problem } from "./problem.ts";
import { agentRoutes } from "./routes/agents.ts";
import { cancelRoutes } from "./routes/cancel.ts";
import { eventRoutes } from "./routes/events.ts";
import { getTurnRoutes } from "./routes/get-turn.ts";
import { healthRoutes } from "./routes/health.ts";
import { messageRoutes } from "./routes/messages.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { turnRoutes } from "./routes/turns.ts";

/** The HTTP API as a fetch handler; main.ts serves it, tests call `app.request()` or serve it too. */
export function createApp(deps: ApiDeps) {
  const app = new Hono<AppEnv>();
  app.onError(onError(deps.logger));
  // Probes and scrapes would each start a root trace; they stay untraced.
  app.use(httpServerSpans({ ignore: (path) => path === "/metrics" || path === "/openapi.json" || path === "/healthz" || path === "/readyz" }));
  app.notFound((c) => problem(c, new TurnqError("not_found", `No route for ${c.req.method} ${c.req.path}; see the README for the API.`)));
  app.route("/", healthRoutes(deps));
  app.route("/", metricsRoutes());
  app.route("/", openApiRoutes());
  app.route("/", sessionRoutes(deps));
  app.route("/", turnRoutes(deps));
  app.route("/", getTurnRoutes(deps));
  app.route("/", messageRoutes(deps));
  app.route("/", agentRoutes(deps));
  app.route("/", cancelRoutes(deps));
  app.route("/", eventRoutes(deps));
  return app;
}
