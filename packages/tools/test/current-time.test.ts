import { describe, expect, it } from "vitest";
import { createCurrentTimeTool, currentTimeTool } from "../src/index.ts";
import { callTool } from "./helpers.ts";

const pinned = createCurrentTimeTool({ now: () => new Date("2025-01-15T12:34:56.789Z") });

describe("current_time", () => {
  it("returns UTC when no timezone is given", async () => {
    const r = await callTool(pinned, {});
    expect(JSON.parse(r.content)).toEqual({
      iso: "2025-01-15T12:34:56.789+00:00",
      timezone: "UTC",
      utc: "2025-01-15T12:34:56.789Z",
    });
  });

  it("returns the wall-clock time and offset of an IANA timezone", async () => {
    const r = await callTool(pinned, { timezone: "America/New_York" });
    expect(JSON.parse(r.content)).toMatchObject({ iso: "2025-01-15T07:34:56.789-05:00", timezone: "America/New_York" });
  });

  it("reports an unknown timezone as invalid arguments", async () => {
    const r = await callTool(pinned, { timezone: "Mars/Olympus_Mons" });
    expect(r).toMatchObject({ ok: false, errorKind: "invalid_arguments" });
    expect(r.content).toMatch(/timezone: unknown IANA time zone/);
  });

  it("is parallel-safe and idempotent, and reads the real clock by default", async () => {
    expect(currentTimeTool).toMatchObject({ name: "current_time", parallelSafe: true, idempotent: true });
    const before = Date.now();
    const r = await callTool(currentTimeTool, {});
    const utc = Date.parse((JSON.parse(r.content) as { utc: string }).utc);
    expect(utc).toBeGreaterThanOrEqual(before);
    expect(utc).toBeLessThanOrEqual(Date.now());
  });
});
