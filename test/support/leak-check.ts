import { afterAll } from "vitest";
import { checkNoLeftovers } from "./leaks.ts";

// A vitest setup file: runs in every test file, and its afterAll runs after the file's own hooks.
afterAll(() => checkNoLeftovers(), 60_000);
