import { createHash } from "node:crypto";

/**
 * Counts attempts per conversation, so `fail-first=K` can fail a request K times and let the
 * client's retry of the very same messages succeed.
 */
export class AttemptCounter {
  readonly #counts = new Map<string, number>();

  /** Records one more attempt of `identity` and returns its 1-based attempt number. */
  next(path: string, identity: string): number {
    const key = createHash("sha256").update(path).update("\0").update(identity).digest("base64url");
    const attempt = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, attempt);
    return attempt;
  }

  clear(): void {
    this.#counts.clear();
  }
}
