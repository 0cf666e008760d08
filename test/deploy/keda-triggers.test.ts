import { keySpace, queueListKey } from "@turnq/queue";
import { describe, expect, it } from "vitest";
import { kedaScaling } from "../../infra/keda-triggers.ts";
import { schemaErrors, strictFieldErrors } from "./support/k8s-schemas.ts";
import { find, render } from "./support/manifests.ts";

describe("KEDA triggers for sharded queues (npm run keda-triggers)", () => {
  const base = find(render("deploy/k8s/base"), "ScaledObject", "turnq-worker");

  it("are the base manifest's own triggers for one shard on one Redis", () => {
    const { triggers, scalingModifiers } = kedaScaling(keySpace("turnq"), false);
    expect(triggers).toEqual(base.spec.triggers);
    expect(scalingModifiers).toEqual(base.spec.advanced.scalingModifiers);
  });

  it("watch every shard's wait and active lists on a Redis Cluster, summed, in objects KEDA's schema accepts", async () => {
    const space = keySpace("turnq", { shards: 3, cluster: true });
    const { triggers, scalingModifiers } = kedaScaling(space, true);
    expect(triggers.map((t) => t.metadata.listName)).toEqual(
      [0, 1, 2].flatMap((shard) => [queueListKey(space, shard, "wait"), queueListKey(space, shard, "active")]),
    );
    expect(new Set(triggers.map((t) => t.type))).toEqual(new Set(["redis-cluster"]));
    expect(scalingModifiers.formula).toBe("wait0 + active0 + wait1 + active1 + wait2 + active2");
    const patched = { ...base, spec: { ...base.spec, triggers, advanced: { ...base.spec.advanced, scalingModifiers } } };
    expect(await schemaErrors(patched)).toEqual([]);
    expect(strictFieldErrors([patched])).toEqual([]);
  });
});
