import { describe, expect, it } from "vitest";

import { createContentCapture, DEFAULT_CONTENT_MAX_BYTES, scrubSecrets } from "../src/index.ts";

const PLANTED_KEY = "sk-proj-PLANTEDsecret0123456789abcdef";
const PLANTED_BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.PLANTEDjwt.sig";

const messages = [
  { role: "system", content: "You are helpful." },
  { role: "user", content: `my key is ${PLANTED_KEY}, please keep it safe` },
  { role: "tool", content: { headers: { Authorization: PLANTED_BEARER, "x-api-key": "PLANTEDheaderkey" }, body: "ok" } },
  { config: { apiKey: "PLANTEDapikey", api_key: "PLANTEDapikey2", password: "PLANTEDpw", refresh_token: "PLANTEDrt" } },
  { usage: { input_tokens: 12, max_tokens: 100 } },
];

describe("createContentCapture", () => {
  it("captures nothing unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is true", () => {
    expect(createContentCapture({}).captureContent(messages)).toBeUndefined();
    expect(createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "false" }).enabled).toBe(false);
    const on = createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" });
    expect(on.enabled).toBe(true);
    expect(on.maxBytes).toBe(DEFAULT_CONTENT_MAX_BYTES);
    expect(JSON.parse(on.captureContent([{ role: "user", content: "hi" }]) ?? "null")).toEqual([{ role: "user", content: "hi" }]);
  });

  it("never lets a planted sk- key, Authorization header value or secret-named field through", () => {
    const out = createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" }).captureContent(messages) ?? "";
    expect(out).not.toContain("PLANTED");
    expect(out).not.toMatch(/sk-proj/);
    expect(out).toContain("please keep it safe");
    expect(out).toContain("[REDACTED]");
    // Token counts are numbers, not credentials, and survive.
    expect(JSON.parse(out)[4]).toEqual({ usage: { input_tokens: 12, max_tokens: 100 } });
  });

  it("caps the captured JSON at TURNQ_OTEL_CONTENT_MAX_BYTES without splitting a character", () => {
    const capture = createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true", TURNQ_OTEL_CONTENT_MAX_BYTES: "64" });
    const out = capture.captureContent({ content: "é".repeat(500) }) ?? "";
    expect(Buffer.byteLength(out, "utf8")).toBeLessThanOrEqual(64);
    expect(out.endsWith("…[truncated]")).toBe(true);
    expect(out).not.toContain("\uFFFD");
    expect(createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" }).captureContent("x".repeat(20_000))?.length).toBeLessThanOrEqual(DEFAULT_CONTENT_MAX_BYTES);
  });

  it("keeps ordinary prose that merely mentions bearers or basics", () => {
    expect(scrubSecrets("the bearer of bad news covers the Basic usage")).toBe("the bearer of bad news covers the Basic usage");
    expect(scrubSecrets("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='")).toBe("curl -H 'Authorization: Basic [REDACTED]'");
    expect(scrubSecrets("GET /x?api_key=abc123&q=1")).toBe("GET /x?api_key=[REDACTED]&q=1");
  });

  it("survives cycles, Errors and values JSON cannot encode", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    const capture = createContentCapture({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" });
    expect(JSON.parse(capture.captureContent(cyclic) ?? "null")).toEqual({ name: "a", self: "[Circular]" });
    expect(JSON.parse(capture.captureContent(new Error(`bad ${PLANTED_KEY}`)) ?? "null")).toEqual({ name: "Error", message: "bad [REDACTED]" });
    expect(capture.captureContent({ n: 1n })).toBeUndefined();
    expect(capture.captureContent(undefined)).toBeUndefined();
  });
});
