import { apiEnvSchema } from "@turnq/api";
import { keySpace, queueListKey } from "@turnq/queue";
import { workerEnvSchema } from "@turnq/worker";
import { describe, expect, it } from "vitest";
import { envNamesReadByCode } from "./support/env-names.ts";
import { schemaErrors, strictFieldErrors } from "./support/k8s-schemas.ts";
import { find, kustomizations, render, scriptCommand, type K8sObject } from "./support/manifests.ts";

// Memory measured per process under load (production bundles, README "Memory"): requests must hold
// it, limits leave room for the heap to grow by half between collections and for a burst.
const RSS_UNDER_LOAD_MIB = { api: 150, worker: 200 };
// Secrets reach the pods only through secretKeyRef, never as literal values.
const SECRET_ENV = ["DATABASE_URL", "REDIS_URL", "LLM_API_KEY"];

const mib = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
};
const containers = (o: K8sObject): any[] => o.spec.template.spec.containers;
const envValue = (c: any, config: K8sObject, name: string): string | undefined =>
  c.env?.find((e: any) => e.name === name)?.value ?? (c.envFrom?.some((f: any) => f.configMapRef?.name === config.metadata.name) ? config.data?.[name] : undefined);

describe.each(kustomizations)("kubectl kustomize %s", (dir) => {
  const objects = render(dir);
  const config = find(objects, "ConfigMap", "turnq-config");
  const api = find(objects, "Deployment", "turnq-api");
  const worker = find(objects, "Deployment", "turnq-worker");
  const migrate = find(objects, "Job", "turnq-migrate");
  const scaled = find(objects, "ScaledObject", "turnq-worker");

  it("renders objects that all validate against the Kubernetes and KEDA schemas", async () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/turnq-config",
      "Deployment/turnq-api",
      "Deployment/turnq-worker",
      "HorizontalPodAutoscaler/turnq-api",
      "Job/turnq-migrate",
      "PodDisruptionBudget/turnq-api",
      "PodDisruptionBudget/turnq-worker",
      "ScaledObject/turnq-worker",
      "Service/turnq-api",
      "TriggerAuthentication/turnq-redis",
    ]);
    const errors = (await Promise.all(objects.map(schemaErrors))).flat();
    expect(errors).toEqual([]);
  });

  it("has no unknown (misspelt) fields in any object", () => {
    expect(strictFieldErrors(objects)).toEqual([]);
  });

  it("runs the commands of package.json's start:api, start:worker and db:migrate, from one image", () => {
    expect(containers(api)[0].command).toEqual(scriptCommand("start:api"));
    expect(containers(worker)[0].command).toEqual(scriptCommand("start:worker"));
    expect(containers(migrate)[0].command).toEqual(scriptCommand("db:migrate"));
    const images = new Set([api, worker, migrate].map((o) => containers(o)[0].image));
    expect(images.size).toBe(1);
  });

  it("gives the apps only variables they read, and secrets only from the Secret", () => {
    const read = envNamesReadByCode();
    const readBy = { api: Object.keys(apiEnvSchema.shape), worker: Object.keys(workerEnvSchema.shape), migrate: ["DATABASE_URL"] };
    for (const [role, o] of [["api", api], ["worker", worker], ["migrate", migrate]] as const) {
      for (const e of containers(o)[0].env ?? []) {
        // OTEL_* are read by the OpenTelemetry SDK in every process.
        const known = readBy[role].includes(e.name) || (e.name.startsWith("OTEL_") && role !== "migrate");
        expect(known, `${role} is given ${e.name}, which it does not read`).toBe(true);
        if (SECRET_ENV.includes(e.name)) expect(e.valueFrom?.secretKeyRef?.name, `${role}: ${e.name}`).toBe("turnq-secrets");
      }
    }
    for (const key of Object.keys(config.data ?? {})) {
      expect(read.has(key) || key.startsWith("OTEL_"), `ConfigMap key ${key} is read by no process`).toBe(true);
      expect(SECRET_ENV, `ConfigMap holds ${key}, a secret`).not.toContain(key);
    }
    expect(objects.some((o) => o.kind === "Secret"), "no Secret is committed; it is created at install").toBe(false);
  });

  it("probes /readyz and /healthz on the port each app listens on", () => {
    for (const [o, portEnv] of [[api, "PORT"], [worker, "METRICS_PORT"]] as const) {
      const c = containers(o)[0];
      const listens = Number(envValue(c, config, portEnv));
      const port = c.ports.find((p: any) => p.name === c.readinessProbe.httpGet.port);
      expect(port?.containerPort, `${o.metadata.name}: probe port`).toBe(listens);
      expect(c.readinessProbe.httpGet.path).toBe("/readyz");
      expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: c.readinessProbe.httpGet.port });
      expect(o.spec.template.metadata.annotations["prometheus.io/port"]).toBe(String(listens));
    }
    // Both listen on all interfaces inside the pod, or the kubelet could not reach them.
    expect(envValue(containers(api)[0], config, "HOST")).toBe("0.0.0.0");
    expect(envValue(containers(worker)[0], config, "METRICS_HOST")).toBe("0.0.0.0");
  });

  it("lets a worker finish its shutdown grace before Kubernetes kills it", () => {
    const graceMs = Number(envValue(containers(worker)[0], config, "SHUTDOWN_GRACE_MS") ?? workerEnvSchema.shape.SHUTDOWN_GRACE_MS.parse(undefined));
    // After the grace the worker still aborts, hands turns back and closes its connections.
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(graceMs + 10_000);
  });

  it("requests the memory the apps use under load, with headroom in the limit", () => {
    for (const [o, rss] of [[api, RSS_UNDER_LOAD_MIB.api], [worker, RSS_UNDER_LOAD_MIB.worker]] as const) {
      const { requests, limits } = containers(o)[0].resources;
      expect(mib(requests.memory), `${o.metadata.name} memory request`).toBeGreaterThanOrEqual(rss);
      expect(mib(limits.memory), `${o.metadata.name} memory limit`).toBeGreaterThanOrEqual(2 * rss);
      expect(requests.cpu, `${o.metadata.name} cpu request`).toBeDefined();
    }
  });

  it("wires selectors, autoscalers and disruption budgets to the deployments", () => {
    const deployments = objects.filter((o) => o.kind === "Deployment");
    for (const d of deployments) {
      expect(d.spec.replicas, `${d.metadata.name}: replicas belong to its autoscaler`).toBeUndefined();
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    }
    const selects = (selector: Record<string, string>, d: K8sObject) =>
      Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v);
    expect(selects(find(objects, "Service", "turnq-api").spec.selector, api)).toBe(true);
    expect(selects(find(objects, "PodDisruptionBudget", "turnq-api").spec.selector.matchLabels, api)).toBe(true);
    expect(selects(find(objects, "PodDisruptionBudget", "turnq-worker").spec.selector.matchLabels, worker)).toBe(true);
    expect(find(objects, "Service", "turnq-api").spec.ports[0].targetPort).toBe("http");
    const hpa = find(objects, "HorizontalPodAutoscaler", "turnq-api");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "turnq-api" });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
  });

  it("scales the workers with KEDA on the drain queue's own Redis lists", () => {
    expect(scaled.spec.scaleTargetRef.name).toBe(worker.metadata.name);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1); // a worker also runs the reconciler
    expect(scaled.spec.minReplicaCount).toBeLessThanOrEqual(scaled.spec.maxReplicaCount);
    const prefix = config.data!.TURNQ_PREFIX!;
    const triggers = scaled.spec.triggers as any[];
    expect(triggers.map((t) => [t.type, t.name, t.metadata.listName])).toEqual([
      ["redis", "wait", queueListKey(keySpace(prefix), 0, "wait")],
      ["redis", "active", queueListKey(keySpace(prefix), 0, "active")],
    ]);
    // The formula's names are the triggers' names.
    expect(scaled.spec.advanced.scalingModifiers.formula).toBe("wait + active");
    const perWorker = Number(scaled.spec.advanced.scalingModifiers.target);
    const concurrency = Number(envValue(containers(worker)[0], config, "WORKER_CONCURRENCY"));
    expect(perWorker).toBeGreaterThan(0);
    expect(perWorker).toBeLessThanOrEqual(concurrency);
    for (const t of triggers) {
      const auth = find(objects, "TriggerAuthentication", t.authenticationRef.name);
      expect(auth.spec.secretTargetRef.map((r: any) => [r.parameter, r.name])).toEqual([
        ["address", "turnq-secrets"],
        ["password", "turnq-secrets"],
      ]);
    }
  });
});

describe("the production overlay", () => {
  const base = render("deploy/k8s/base");
  const prod = render("deploy/k8s/overlays/production");

  it("puts everything in its namespace, on a pinned image", () => {
    for (const o of prod) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe("turnq");
    for (const o of prod.filter((x) => x.spec?.template?.spec?.containers)) {
      expect(containers(o)[0].image).toMatch(/^[^:]+\/turnq:\d+\.\d+\.\d+$/);
    }
  });

  it("runs more replicas with more resources than the base", () => {
    expect(find(prod, "ScaledObject", "turnq-worker").spec.maxReplicaCount).toBeGreaterThan(find(base, "ScaledObject", "turnq-worker").spec.maxReplicaCount);
    expect(find(prod, "HorizontalPodAutoscaler", "turnq-api").spec.minReplicas).toBeGreaterThanOrEqual(2);
    for (const name of ["turnq-api", "turnq-worker"]) {
      const memory = (objs: K8sObject[]) => mib(containers(find(objs, "Deployment", name))[0].resources.requests.memory);
      expect(memory(prod), name).toBeGreaterThan(memory(base));
    }
  });
});

describe("the schema checks themselves", () => {
  const [deployment] = render("deploy/k8s/base").filter((o) => o.kind === "Deployment");

  it("reject a wrongly typed field and an unknown one", async () => {
    const bad = structuredClone(deployment!);
    bad.spec.replicas = "2";
    bad.spec.template.spec.terminationGracePeriodSecond = 30;
    expect((await schemaErrors(bad)).join()).toMatch(/spec\/replicas must be integer/);
    expect(strictFieldErrors([bad]).join("\n")).toMatch(/terminationGracePeriodSecond/);
  });
});
