import type { TestProject } from "vitest/node";

// Filled in by the spine: creates a migrated template database that test files clone.
export default async function setup(_project: TestProject): Promise<void> {}
