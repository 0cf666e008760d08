/** The two logger methods shutdown needs; pino satisfies it. */
export interface ShutdownLogger {
  info(msg: string): void;
  error(obj: object, msg: string): void;
}

export type ShutdownStep = readonly [name: string, close: () => Promise<unknown>];

/**
 * Runs the steps once, in the order given (reverse order of creation), on SIGTERM or SIGINT (a
 * repeat changes nothing). A step that fails is logged and does not stop the others. With
 * `deadlineMs`, a shutdown still running after that long (a step waiting on something that never
 * answers) is logged and the process exits with code 1: a stop must never hang. Returns the
 * function for tests and callers.
 */
export function createShutdown(logger: ShutdownLogger, steps: ShutdownStep[], opts: { deadlineMs?: number } = {}): () => Promise<void> {
  let done: Promise<void> | undefined;
  const shutdown = () =>
    (done ??= (async () => {
      logger.info("shutting down");
      if (opts.deadlineMs !== undefined) {
        const ms = opts.deadlineMs;
        setTimeout(() => {
          logger.error({ deadlineMs: ms }, "shutdown did not finish in time; exiting anyway (raise SHUTDOWN_GRACE_MS if turns need longer)");
          process.exit(1);
        }, ms).unref();
      }
      for (const [name, close] of steps) {
        try {
          await close();
        } catch (err) {
          logger.error({ err: (err as Error).message, step: name }, "shutdown step failed");
        }
      }
      logger.info("stopped");
    })());
  // Every signal, not just the first: run by `npm run start:*`, a Ctrl-C reaches the app twice (from
  // the terminal, and forwarded by npm), and a second one must not kill it mid-shutdown by Node's
  // default action. The shutdown runs once, and its deadline still ends it.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => void shutdown().then(() => process.exit(0)));
  }
  return shutdown;
}
