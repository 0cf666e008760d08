import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { apiEnvSchema } from "@turnq/api";
import { simulatorEnvSchema } from "@turnq/llm-simulator";
import { workerEnvSchema } from "@turnq/worker";
import { root } from "./manifests.ts";

/**
 * Every environment variable turnq's own code reads, with who reads it: the keys of the apps' and
 * the simulator's env schemas, plus the names read directly by packages that take a plain env object
 * (telemetry) and by the infra scripts (npm run dev). Tests and the benchmark are not included.
 */
export function envNamesReadByCode(): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string, by: string) => names.set(name, names.has(name) ? `${names.get(name)}, ${by}` : by);
  for (const name of Object.keys(apiEnvSchema.shape)) add(name, "api");
  for (const name of Object.keys(workerEnvSchema.shape)) add(name, "worker");
  for (const name of Object.keys(simulatorEnvSchema.shape)) add(name, "simulator");
  const patterns = [
    /\benv\.([A-Z][A-Z0-9_]+)\b/g,
    /\benv\["([A-Z][A-Z0-9_]+)"\]/g,
    /\benv(?:Flag|List|PositiveInt)\(\s*env,\s*"([A-Z][A-Z0-9_]+)"/g,
    /"((?:OTEL|TURNQ)_[A-Z0-9_]+)"/g,
  ];
  for (const file of sourceFiles()) {
    const text = readFileSync(file, "utf8");
    for (const p of patterns) for (const m of text.matchAll(p)) if (!names.get(m[1]!)?.includes(relative(root, file))) add(m[1]!, relative(root, file));
  }
  return names;
}

function sourceFiles(): string[] {
  const dirs = [
    ...readdirSync(join(root, "apps")).map((d) => join(root, "apps", d, "src")),
    ...readdirSync(join(root, "packages")).map((d) => join(root, "packages", d, "src")),
    join(root, "infra"),
  ];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (entry !== "testing") walk(path);
      } else if (entry.endsWith(".ts")) out.push(path);
    }
  };
  for (const d of dirs) if (statSync(d, { throwIfNoEntry: false })?.isDirectory()) walk(d);
  return out;
}

/** Variable names listed in .env.example, set or commented out (`NAME=…` or `# NAME=…`). */
export function envExampleNames(): Set<string> {
  const text = readFileSync(join(root, ".env.example"), "utf8");
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}
