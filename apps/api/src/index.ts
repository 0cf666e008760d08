export { createApp } from "./app.ts";
export { startApi, type RunningApi } from "./start-api.ts";
export { apiEnvSchema, loadApiEnv, type ApiEnv } from "./env.ts";
