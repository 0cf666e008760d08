import { createClient } from "../client.ts";
import { isTurnqApiError } from "../errors.ts";
import { runCommand } from "./commands.ts";
import { exitCodes, parseCli, usage, UsageError } from "./config.ts";
import type { Output } from "./render.ts";

/** The CLI's composition root: arguments and environment in, an exit code out. */
export async function main(argv: string[], env: Record<string, string | undefined>, o: Output, signal: AbortSignal): Promise<number> {
  try {
    const args = parseCli(argv, env);
    if (args.values.help || args.positionals.length === 0) {
      o.out(`${usage}\n`);
      return args.values.help ? exitCodes.ok : exitCodes.usage;
    }
    const client = createClient({ baseUrl: args.url, apiKey: args.key });
    return await runCommand(client, args, o, signal);
  } catch (err) {
    if (signal.aborted) return exitCodes.ok;
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      o.err(`${(err as Error).message}\n`);
      return exitCodes.usage;
    }
    if (isTurnqApiError(err)) {
      o.err(`turnq: ${err.status} ${err.message}\n`);
      return exitCodes.api;
    }
    const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const why = cause?.code ?? cause?.errors?.[0]?.code;
    o.err(`turnq: the API did not answer (${why ?? (err as Error).message}); check --url or TURNQ_URL, and that it is running.\n`);
    return exitCodes.api;
  }
}
