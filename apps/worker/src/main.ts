import { createShutdown } from "@turnq/core";
import pino from "pino";
import { loadWorkerEnv } from "./env.ts";
import { startWorker } from "./start-worker.ts";

// The worker's composition root: configuration, logger, start, and one shutdown for SIGTERM/SIGINT.
const env = loadWorkerEnv();
const logger = pino({ name: "turnq-worker", level: env.LOG_LEVEL });
const worker = await startWorker(env, logger);
createShutdown(logger, [["worker", () => worker.close()]]);
