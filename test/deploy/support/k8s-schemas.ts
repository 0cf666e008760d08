import ts from "typescript";
import type { K8sObject } from "./manifests.ts";
import { root } from "./manifests.ts";

/**
 * Validation of rendered objects against the published schemas, offline:
 * - `kubernetes-models` (Kubernetes' OpenAPI schemas, compiled) and `@kubernetes-models/keda` (KEDA's
 *   CRD schemas: ScaledObject, TriggerAuthentication) check types, required fields, enums, formats;
 * - those schemas allow unknown fields (the API server only warns about them), so a misspelt field
 *   such as `terminationGracePeriodSecond` would pass and be silently dropped: every object is also
 *   type-checked as an object literal against the same packages' TypeScript interfaces, where an
 *   unknown field is an error.
 */

/** Module (a package subpath) holding the models of an apiVersion. */
function modelModule(apiVersion: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}`;
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

/** Schema errors of one object ("Kind/name: message"), empty when valid. */
export async function schemaErrors(o: K8sObject): Promise<string[]> {
  const id = `${o.kind}/${o.metadata?.name}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(o.apiVersion))) as Record<string, unknown>;
  } catch {
    return [`${id}: no schema package for apiVersion ${o.apiVersion}`];
  }
  const Model = mod[o.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) return [`${id}: ${o.apiVersion} has no kind ${o.kind}`];
  try {
    new Model(o).validate();
    return [];
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
}

/**
 * Unknown or mistyped fields, found by type-checking every object against its package's TypeScript
 * interface (I<Kind>). Returns one line per diagnostic, naming the object.
 */
export function strictFieldErrors(objects: K8sObject[]): string[] {
  const file = `${root}test/deploy/.rendered-manifests.ts`;
  const lines: string[] = [];
  objects.forEach((o, i) => {
    lines.push(`import type { I${o.kind} as T${i} } from "${modelModule(o.apiVersion)}/${o.kind}";`);
  });
  const names = objects.map((o, i) => `o${i}_${o.kind}_${o.metadata.name.replace(/\W/g, "_")}`);
  objects.forEach((o, i) => lines.push(`export const ${names[i]}: T${i} = ${JSON.stringify(o, null, 1)};`));
  const source = lines.join("\n");

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === file || fileExists.call(host, f);
  host.readFile = (f) => (f === file ? source : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) =>
    f === file ? ts.createSourceFile(f, source, lang) : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const at = source.split("\n").slice(0, line + 1).reverse().find((l) => l.startsWith("export const "));
    return `${at?.slice(13, at.indexOf(":")) ?? "?"} (line ${line + 1}): ${text}`;
  });
}
