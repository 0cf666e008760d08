import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * What `npm run start:api` / `start:worker` run: the apps' production bundles (infra/bundle.ts)
 * with the node flags of those scripts. The bench's issue #8 parts and the deployment tests start
 * the system this way, so what they measure or check is a deployment's, not that of a process that
 * compiles its own TypeScript.
 */
export const SERVER_BUNDLES = { api: "apps/api/dist/server.mjs", worker: "apps/worker/dist/server.mjs" } as const;

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The node flags `npm run start:<app>` passes (read from package.json, the one place they live). */
export function serverNodeArgs(app: keyof typeof SERVER_BUNDLES): string[] {
  const script = startScript(app);
  const m = new RegExp(`\\bnode (.*?)\\s*${SERVER_BUNDLES[app].replace(/[.]/g, "\\.")}`).exec(script);
  if (!m) throw new Error(`package.json's start:${app} does not run node ... ${SERVER_BUNDLES[app]}: update test/support/server-bundles.ts`);
  return m[1]!.split(/\s+/).filter((a) => a && !a.startsWith("--env-file"));
}

/**
 * The variables `npm run start:<app>` sets when the environment has not (its `NAME=${NAME:-value}`
 * prefix), so a child started with serverNodeArgs runs as the script would run it.
 */
export function serverEnv(app: keyof typeof SERVER_BUNDLES): Record<string, string> {
  const script = startScript(app);
  const prefix = script.slice(0, script.indexOf("node "));
  return Object.fromEntries([...prefix.matchAll(/(\w+)=\$\{\1:-([^}]*)\}/g)].map((m) => [m[1]!, m[2]!]));
}

/** `npm run build`, once per bench run or test file, so the bundles match the sources. */
export function buildServerBundles(): void {
  const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status}); run it yourself to see why:\n${r.stdout}${r.stderr}`);
}

function startScript(app: keyof typeof SERVER_BUNDLES): string {
  const scripts = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { scripts: Record<string, string> }).scripts;
  return scripts[`start:${app}`] ?? "";
}
