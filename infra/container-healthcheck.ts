/**
 * The production image's HEALTHCHECK: exits 0 when this container's process answers GET /healthz.
 * One image runs the API (listening on PORT) or a worker (METRICS_PORT), so it asks both ports on
 * loopback and is healthy when either answers 200 (the other port is simply closed).
 */
const ports = [process.env.PORT ?? "3000", process.env.METRICS_PORT ?? "9464"];

async function healthy(port: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
    return res.ok;
  } catch {
    return false;
  }
}

const answers = await Promise.all(ports.map(healthy));
process.exit(answers.some(Boolean) ? 0 : 1);
