export { startWorker, type RunningWorker } from "./start-worker.ts";
export { loadWorkerEnv, workerEnvSchema, type WorkerEnv } from "./env.ts";
