/**
 * Calls per command from `INFO commandstats` (commands run inside scripts included, as Redis counts
 * them), by command name (`get`, `client|list`…). The hot-path test and the bench count with it.
 */
export function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}
