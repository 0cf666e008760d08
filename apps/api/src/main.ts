import { createShutdown } from "@turnq/core";
import pino from "pino";
import { loadApiEnv } from "./env.ts";
import { startApi } from "./start-api.ts";

// The API's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
const env = loadApiEnv();
const logger = pino({ name: "turnq-api", level: env.LOG_LEVEL });
const api = await startApi(env, logger);
createShutdown(logger, [["api", () => api.close()]]);
