import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files that start worker processes compete for the machine's 2 cores; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
