import { TurnqError } from "@turnq/core";

/** An integer query parameter within [min, max], or `fallback` when absent; anything else is a 400. */
export function intParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new TurnqError("invalid_request", `Query parameter ${name} must be an integer from ${min} to ${max}.`);
  }
  return n;
}

/** A short free-text query parameter (at most `maxLength` characters, no control characters). */
export function textParam(raw: string | undefined, name: string, maxLength = 200): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw.length > maxLength || /[\u0000-\u001f\u007f]/.test(raw) || !raw.isWellFormed()) {
    throw new TurnqError("invalid_request", `Query parameter ${name} must be at most ${maxLength} printable characters.`);
  }
  return raw;
}

/** `true`/`false`/`1`/`0`, or `fallback` when absent. */
export function boolParam(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new TurnqError("invalid_request", `Query parameter ${name} must be true or false.`);
}
