/**
 * The environment as this package sees it: a plain object passed in, so tests and apps decide where
 * configuration comes from. Only the register entry hands over `process.env`.
 */
export type TelemetryEnv = Readonly<Record<string, string | undefined>>;

/** Spec-style boolean: "true" (any case) is true, everything else false. */
export function envFlag(env: TelemetryEnv, name: string): boolean {
  return env[name]?.trim().toLowerCase() === "true";
}

/** A positive integer from the environment, or `fallback` when unset or malformed. */
export function envPositiveInt(env: TelemetryEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Comma-separated list, trimmed and lower-cased, empty entries dropped. */
export function envList(env: TelemetryEnv, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}
