import { log } from "./bench-env.ts";

/**
 * Runs a bench-side query again while Postgres refuses new connections (SQLSTATE 53300, "too many
 * clients"): the server's max_connections is shared with whatever else runs on the machine (tests
 * of other checkouts), and a post-run check must not crash a part that measured fine.
 */
export async function retryWhenPostgresFull<T>(what: string, fn: () => Promise<T>, tries = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== "53300" || attempt >= tries) throw err;
      if (attempt === 1) log(`${what}: Postgres has no free connection (max_connections); retrying for up to ${tries} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
