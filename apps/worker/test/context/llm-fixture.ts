import { afterAll, beforeAll } from "vitest";
import { createLlmClient, type LlmClient } from "@turnq/llm";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/test-database.ts";

export interface ContextFixture {
  db: TestDatabase;
  sim: Simulator;
  llm: LlmClient;
}

/**
 * A fresh database, the simulator and a client without in-call retries, for one test file; closed
 * after it. Read the fields inside tests (they are set in beforeAll).
 */
export function useContextFixture(): ContextFixture {
  const f = {} as ContextFixture;
  beforeAll(async () => {
    f.db = await createTestDatabase();
    f.sim = await startSimulator();
    f.llm = createLlmClient({ provider: "openai", baseUrl: f.sim.url, retry: { maxAttempts: 1 } });
  });
  afterAll(async () => {
    await f.llm?.close();
    await f.sim?.close();
    await f.db?.drop();
  });
  return f;
}
