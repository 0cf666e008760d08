export { startSimulator, SIMULATED_MODEL } from "./server.ts";
export type { RecordedRequest, Simulator, SimulatorOptions } from "./types.ts";
export { simulatorEnvSchema } from "./env.ts";
