/** A port a process of `npm run dev` listens on, who listens, and the variable that moves it. */
export interface PortUse {
  port: number;
  /** Who listens, as the message says it: "the API", "worker-2's metrics endpoint". */
  what: string;
  /** The variable that moves it: "PORT". */
  variable: string;
  /** How the variable maps to this port when it is not one to one. */
  note?: string;
}

/** What to tell the user when `use.port` is taken. */
export function portTakenMessage(use: PortUse): string {
  return `Port ${use.port} is taken, so ${use.what} cannot listen on it.\n` +
    `Stop what uses it (\`lsof -i :${use.port}\` names it) or move ${use.what} with ${use.variable}=<a free port>` +
    (use.note ? ` (${use.note}).` : ".");
}

/**
 * Finds "EADDRINUSE … :port" in what a process wrote before it died (Node's listen error) and names
 * which of its ports it was. A port the process was not known to use is still reported, without a variable.
 */
export function portTakenInOutput(output: string, uses: PortUse[], who: string): string | undefined {
  const m = /EADDRINUSE\b[^\n]*?:(\d+)\b/.exec(output);
  if (!m) return undefined;
  const port = Number(m[1]);
  const use = uses.find((u) => u.port === port);
  return use ? portTakenMessage(use) : `Port ${port} is taken, so ${who} cannot listen on it. Stop what uses it (\`lsof -i :${port}\` names it).`;
}

/** True for the error Node raises when a server cannot bind its port. */
export function isPortTaken(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}
