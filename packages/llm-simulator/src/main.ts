import { optionsFromEnv } from "./env.ts";
import { startSimulator } from "./server.ts";

const parsed = optionsFromEnv(process.env);
if (!parsed.ok) {
  console.error(parsed.message);
  process.exit(1);
}

try {
  const simulator = await startSimulator(parsed.options);
  console.log(`turnq LLM simulator listening on ${simulator.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (err) {
  console.error(`turnq LLM simulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
