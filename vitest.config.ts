import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    // Fails a file that leaves a process, a connection or a database behind.
    setupFiles: ["./test/support/leak-check.ts"],
    // Deadlines, not expectations: on a busy 2-core machine a system takes a while to start (each
    // worker may take up to READY_DEADLINE_MS, 90 s) and a load test a while to drain. A test that
    // is stuck still fails, with the deadline it missed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    // Files that start worker processes compete for the machine's 2 cores; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
