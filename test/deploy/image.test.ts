import { readFileSync } from "node:fs";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { apiEnvSchema } from "@turnq/api";
import { workerEnvSchema } from "@turnq/worker";
import { describe, expect, it } from "vitest";
import { find, readYaml, render, root, scriptCommand } from "./support/manifests.ts";
import { serverEnv } from "../support/server-bundles.ts";

/**
 * The production image, checked without building it (this machine has no Docker daemon and no
 * registry for base images): the Dockerfile is linted (dockerfile-utils, the Dockerfile language
 * server's validator) and held to the image's rules, and compose and the manifests are held to it.
 */
const text = readFileSync(`${root}Dockerfile`, "utf8");
const instructions = DockerfileParser.parse(text).getInstructions();
const stages = () => {
  const out: { from: string; name?: string; lines: { keyword: string; args: string }[] }[] = [];
  for (const i of instructions) {
    const args = i.getTextContent().slice(i.getKeyword().length).trim().replace(/\\\n\s*/g, " ");
    if (i.getKeyword() === "FROM") {
      const [from, , name] = args.split(/\s+/);
      out.push({ from: from!, name, lines: [] });
    } else out.at(-1)?.lines.push({ keyword: i.getKeyword(), args });
  }
  return out;
};
const exec = (args: string) => JSON.parse(args) as string[];

describe("the Dockerfile", () => {
  it("has no syntax or instruction errors", () => {
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("builds in stages and ships only production dependencies, run as a non-root user", () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(3);
    const final = all.at(-1)!;
    const runs = (s: (typeof all)[number]) => s.lines.filter((l) => l.keyword === "RUN").map((l) => l.args);
    // The node_modules of the final image come from the stage that installed with --omit=dev.
    const modules = final.lines.find((l) => l.keyword === "COPY" && /\/node_modules\b/.test(l.args))!;
    const source = /--from=(\S+)/.exec(modules.args)![1];
    const prod = all.find((s) => s.name === source)!;
    expect(runs(prod).some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs(final), "the final stage installs nothing").toEqual([]);
    // Builds (npm ci with dev dependencies, esbuild) happen in another stage.
    expect(all.some((s) => s !== final && runs(s).some((r) => /npm run build/.test(r)))).toBe(true);
    const user = final.lines.filter((l) => l.keyword === "USER").at(-1)?.args;
    expect(user, "numeric, so runAsNonRoot can verify it").toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(final.lines.some((l) => l.keyword === "HEALTHCHECK" && /container-healthcheck\.ts/.test(l.args))).toBe(true);
  });

  it("copies the manifest of every workspace before installing", () => {
    const workspaces = (JSON.parse(readFileSync(`${root}package-lock.json`, "utf8")) as { packages: Record<string, { link?: boolean }> }).packages;
    const dirs = Object.keys(workspaces).filter((k) => /^(apps|packages)\/[^/]+$/.test(k));
    expect(dirs.length).toBeGreaterThan(5);
    for (const dir of dirs) expect(text, dir).toContain(`COPY ${dir}/package.json ${dir}/`);
  });

  it("sets the allocator variables the start scripts set (the app's own names come from compose and the manifests)", () => {
    const env = stages().at(-1)!.lines.filter((l) => l.keyword === "ENV").map((l) => l.args).join(" ");
    for (const app of ["api", "worker"] as const) {
      const { OTEL_SERVICE_NAME: _perApp, ...shared } = serverEnv(app);
      expect(Object.keys(shared).length, `start:${app} sets MALLOC_ARENA_MAX`).toBeGreaterThan(0);
      for (const [name, value] of Object.entries(shared)) expect(env, `start:${app}'s ${name}`).toMatch(new RegExp(`\\b${name}=${value}\\b`));
    }
  });

  it("runs the API by default with start:api's command, and keeps secrets and host installs out of the context", () => {
    const cmd = stages().at(-1)!.lines.filter((l) => l.keyword === "CMD").at(-1)!;
    expect(exec(cmd.args)).toEqual(scriptCommand("start:api"));
    const ignore = readFileSync(`${root}.dockerignore`, "utf8").split("\n");
    for (const entry of [".env", "**/node_modules", "**/dist", ".git"]) expect(ignore).toContain(entry);
  });
});

describe("compose", () => {
  const compose = readYaml("infra/compose.yaml");
  const services = compose.services as Record<string, any>;
  const objects = render("deploy/k8s/base");
  const command = (name: string) => find(objects, name === "turnq-migrate" ? "Job" : "Deployment", name).spec.template.spec.containers[0].command;

  it("runs the production image with the manifests' commands", () => {
    for (const name of ["migrate", "api", "worker", "simulator"]) expect(services[name].build.dockerfile, name).toBe("Dockerfile");
    expect(services.migrate.command).toEqual(command("turnq-migrate"));
    expect(services.api.command).toEqual(command("turnq-api"));
    expect(services.worker.command).toEqual(command("turnq-worker"));
  });

  it("gives the apps variables they read, under the manifests' names", () => {
    const readBy = { api: Object.keys(apiEnvSchema.shape), worker: Object.keys(workerEnvSchema.shape) };
    const shared = ["DATABASE_URL", "REDIS_URL", "TURNQ_PREFIX", "OTEL_SERVICE_NAME"];
    const own = { api: ["HOST", "PORT"], worker: ["LLM_BASE_URL", "METRICS_HOST", "METRICS_PORT"] };
    const config = find(objects, "ConfigMap", "turnq-config");
    for (const [service, deployment] of [["api", "turnq-api"], ["worker", "turnq-worker"]] as const) {
      const names = Object.keys(services[service].environment);
      const unread = names.filter((n) => !readBy[service].includes(n) && !n.startsWith("OTEL_"));
      expect(unread, `${service}: compose sets variables the app does not read`).toEqual([]);
      const c = find(objects, "Deployment", deployment).spec.template.spec.containers[0];
      const manifest = new Set<string>([...Object.keys(config.data ?? {}), ...c.env.map((e: any) => e.name)]);
      for (const n of [...shared, ...own[service]]) {
        expect(names, `compose ${service}`).toContain(n);
        expect(manifest.has(n), `manifest ${deployment}: ${n}`).toBe(true);
      }
    }
  });

  it("publishes no Redis or Postgres port unless the host-ports file is added", () => {
    expect(services.redis.ports).toBeUndefined();
    expect(services.postgres.ports).toBeUndefined();
    const hostPorts = readYaml("infra/compose.host-ports.yaml").services;
    expect(hostPorts.redis.ports).toEqual(["127.0.0.1:${TURNQ_REDIS_PORT:-6379}:6379"]);
    expect(hostPorts.postgres.ports).toEqual(["127.0.0.1:${TURNQ_POSTGRES_PORT:-5432}:5432"]);
  });
});
