import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { TelemetryEnv } from "./env.ts";

let cached: string | undefined;

/**
 * The turnq version reported as `service.version` and as the tracer's scope version.
 * `TURNQ_VERSION` wins (set by release builds); otherwise the repository root package.json, then this
 * package's own. Read lazily and once, so importing this module does no I/O.
 */
export function turnqVersion(env: TelemetryEnv = {}): string {
  const fromEnv = env.TURNQ_VERSION?.trim();
  if (fromEnv) return fromEnv;
  cached ??= versionFromPackageFiles();
  return cached;
}

function versionFromPackageFiles(): string {
  // src/ -> packages/telemetry -> packages -> repo root
  const candidates = [join(import.meta.dirname, "..", "..", "..", "package.json"), join(import.meta.dirname, "..", "package.json")];
  for (const file of candidates) {
    const version = readVersion(file);
    if (version) return version;
  }
  return "0.0.0";
}

function readVersion(file: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string") {
      return parsed.version;
    }
  } catch {
    // Missing or unreadable file: fall through to the next candidate.
  }
  return undefined;
}
