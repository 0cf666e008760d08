import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { root } from "./manifests.ts";

/**
 * Builds the apps' production bundles (what `npm run start:*` does first and the image carries), so
 * tests run the deployment's exact commands.
 */
export function buildBundles(): void {
  const r = spawnSync("npm", ["run", "build", "-w", "@turnq/api", "-w", "@turnq/worker"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

/** How long a started process may take to say it is ready: the machine is shared and busy. */
export const STARTUP_MS = 90_000;

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
