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
 * `kubectl kustomize <dir>`: the real Kustomize built into kubectl, so what is checked is what
 * `kubectl apply -k` would send.
 */
export function render(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync("kubectl", ["kustomize", `${root}${dir}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error("kubectl not found: the deployment tests render the manifests with `kubectl kustomize`; install kubectl");
    throw new Error(`kubectl kustomize ${dir} failed:\n${e.stderr ?? String(err)}`);
  }
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject).filter(Boolean);
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
