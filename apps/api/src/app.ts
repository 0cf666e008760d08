import { TurnqError } from "@turnq/core";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "./deps.ts";
import { adminRoutes, type AdminDeps } from "./routes/admin.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { httpServerSpans } from "./middleware/http-spans.ts";
import { admissionUnavailable, rateLimit } from "./middleware/rate-limit.ts";
import { onError, problem } from "./problem.ts";
import { agentRoutes } from "./routes/agents.ts";
import { cancelRoutes } from "./routes/cancel.ts";
import { consoleRoutes } from "./routes/console.ts";
import { eventRoutes } from "./routes/events.ts";
import { fleetRoutes } from "./routes/fleet.ts";
import { getTurnRoutes } from "./routes/get-turn.ts";
import { healthRoutes } from "./routes/health.ts";
import { messageRoutes } from "./routes/messages.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { sessionTurnRoutes } from "./routes/session-turns.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { timelineRoutes } from "./routes/timeline.ts";
import { submitPath, turnRoutes } from "./routes/turns.ts";
import { webhookDeliveryRoutes } from "./routes/webhook-deliveries.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/** The HTTP API as a fetch handler; main.ts serves it, tests call `app.request()` or serve it too. */
export function createApp(deps: ApiDeps, admin?: AdminDeps) {
  const app = new Hono<AppEnv>();
  app.onError(onError(deps.logger));
  // Probes and scrapes would each start a root trace; they stay untraced.
  // The console's static files are not worth a trace either.
  app.use(httpServerSpans({ ignore: (path) => path === "/metrics" || path === "/openapi.json" || path === "/healthz" || path === "/readyz" || path.startsWith("/console") }));
  // Every /v1 route answers only an authenticated caller, for its tenant; probes and scrapes stay open.
  app.use("/v1/*", authenticate(deps.keys));
  // Every /v1 request is admitted against its key's and tenant's rate limits; a turn's submit by its
  // route, with the checks that gate a new turn, in the same single call.
  app.use(
    "/v1/*",
    rateLimit(deps.admission, {
      skip: (c) => c.req.method === "POST" && submitPath.test(c.req.path),
      onUnavailable: admissionUnavailable(deps.logger),
    }),
  );
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
  app.route("/", sessionTurnRoutes(deps));
  app.route("/", timelineRoutes(deps));
  app.route("/", fleetRoutes(deps));
  if (deps.consoleDir) app.route("/", consoleRoutes({ dir: deps.consoleDir }));
  app.route("/", webhookRoutes(deps));
  app.route("/", webhookDeliveryRoutes(deps));
  // Served only when the operator configured TURNQ_ADMIN_KEY.
  if (admin) app.route("/", adminRoutes(admin));
  return app;
}
