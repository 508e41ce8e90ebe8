import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyStrategicMergePatch,
  PatchError,
  SERVICE_SCHEMA,
  strategicSchemaFor,
  supportsStrategicMergePatch,
} from "../src/patch/index.js";

const service = () => ({
  metadata: { name: "web", labels: { app: "web", tier: "front" }, finalizers: ["a.io/one"] },
  spec: {
    type: "LoadBalancer",
    clusterIPs: ["10.96.0.10"],
    ports: [
      { name: "http", port: 80, protocol: "TCP", targetPort: 80 },
      { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
    ],
    selector: { app: "web" },
  },
});

const smp = (patch: unknown) => applyStrategicMergePatch(service(), patch, SERVICE_SCHEMA);
const ports = (obj: Record<string, unknown>) =>
  ((obj.spec as Record<string, unknown>).ports as { port: number; targetPort?: number }[]).map((p) => [
    p.port,
    p.targetPort,
  ]);

describe("applyStrategicMergePatch", () => {
  it("merges list items by merge key and keeps the others", () => {
    const result = smp({ spec: { ports: [{ port: 443, targetPort: 8443 }] } });
    assert.deepEqual(ports(result), [
      [80, 80],
      [443, 8443],
    ]);
  });

  it("places a new item without $setElementOrder before the live ones, as apimachinery does", () => {
    assert.deepEqual(ports(smp({ spec: { ports: [{ port: 53, targetPort: 53 }] } })), [
      [53, 53],
      [80, 80],
      [443, 443],
    ]);
  });

  it("orders by $setElementOrder as kubectl apply sends it", () => {
    const result = smp({
      spec: {
        "$setElementOrder/ports": [{ port: 443 }, { port: 80 }, { port: 53 }],
        ports: [{ port: 53, targetPort: 5353 }],
      },
    });
    assert.deepEqual(ports(result), [
      [443, 443],
      [80, 80],
      [53, 5353],
    ]);
    assert.equal(
      Object.keys(result.spec as object).some((k) => k.startsWith("$")),
      false,
    );
  });

  it("removes a port the way kubectl apply asks for it", () => {
    const result = smp({
      spec: { "$setElementOrder/ports": [{ port: 80 }], ports: [{ $patch: "delete", port: 443 }] },
    });
    assert.deepEqual(ports(result), [[80, 80]]);
  });

  it("deletes an item with $patch: delete and replaces a list with $patch: replace", () => {
    assert.deepEqual(ports(smp({ spec: { ports: [{ $patch: "delete", port: 80 }] } })), [[443, 443]]);
    assert.deepEqual(ports(smp({ spec: { ports: [{ port: 9, targetPort: 9 }, { $patch: "replace" }] } })), [
      [9, 9],
    ]);
  });

  it("replaces or empties a map with $patch", () => {
    const replaced = smp({ metadata: { labels: { only: "me", $patch: "replace" } } });
    assert.deepEqual((replaced.metadata as Record<string, unknown>).labels, { only: "me" });
    const emptied = smp({ spec: { selector: { $patch: "delete" } } });
    assert.deepEqual((emptied.spec as Record<string, unknown>).selector, {});
  });

  it("deletes map keys on null and replaces lists without a merge strategy", () => {
    const result = smp({ metadata: { labels: { tier: null } }, spec: { clusterIPs: ["10.96.0.11"] } });
    assert.deepEqual((result.metadata as Record<string, unknown>).labels, { app: "web" });
    assert.deepEqual((result.spec as Record<string, unknown>).clusterIPs, ["10.96.0.11"]);
  });

  it("unions merging primitive lists and honours $deleteFromPrimitiveList", () => {
    const added = smp({ metadata: { finalizers: ["a.io/one", "b.io/two"] } });
    assert.deepEqual((added.metadata as Record<string, unknown>).finalizers, ["a.io/one", "b.io/two"]);
    const removed = smp({ metadata: { "$deleteFromPrimitiveList/finalizers": ["a.io/one"] } });
    assert.deepEqual((removed.metadata as Record<string, unknown>).finalizers, []);
  });

  it("keeps only $retainKeys", () => {
    const result = smp({ spec: { $retainKeys: ["type", "ports"], type: "ClusterIP" } });
    assert.deepEqual(Object.keys(result.spec as object), ["type", "ports"]);
  });

  it("reports a missing merge key and unknown directives", () => {
    assert.throws(
      () => smp({ spec: { ports: [{ targetPort: 1 }] } }),
      (err) =>
        err instanceof PatchError &&
        err.message === "map: map[targetPort:1] does not contain declared merge key: port",
    );
    assert.throws(
      () => smp({ spec: { selector: { $patch: "bogus" } } }),
      (err) =>
        err instanceof PatchError && err.message === "unknown patch type: bogus in map: map[$patch:bogus]",
    );
  });

  it("decodes the body as a map first", () => {
    assert.deepEqual(applyStrategicMergePatch(service(), null, SERVICE_SCHEMA), service());
    assert.throws(
      () => applyStrategicMergePatch(service(), [1], SERVICE_SCHEMA),
      (err) =>
        err instanceof PatchError &&
        err.status === 400 &&
        err.message === "json: cannot unmarshal array into Go value of type map[string]interface {}",
    );
  });

  it("knows which kinds take strategic merge patches", () => {
    assert.equal(supportsStrategicMergePatch("", "v1", "Service"), true);
    assert.equal(supportsStrategicMergePatch("events.k8s.io", "v1", "Event"), true);
    assert.equal(
      supportsStrategicMergePatch("projectcalico.org", "v3", "KubeControllersConfiguration"),
      false,
    );
    assert.equal(strategicSchemaFor("", "v1", "Namespace") !== undefined, true);
  });
});
