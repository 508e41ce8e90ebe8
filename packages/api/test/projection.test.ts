import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANNOTATION_IPV4_POOLS, projectNamespace, projectService } from "../src/index.js";

// A Service as the API server sends it, with the fields lbipam never reads.
const whole = {
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "7c1f",
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2026-11-27T10:00:00Z",
    labels: { app: "web" },
    annotations: {
      [ANNOTATION_IPV4_POOLS]: '["pool-a"]',
      "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(2000),
    },
    managedFields: [{ manager: "kubectl", operation: "Update", fieldsV1: { "f:spec": {} } }],
  },
  spec: {
    type: "LoadBalancer",
    ipFamilies: ["IPv4", "IPv6"],
    ipFamilyPolicy: "PreferDualStack",
    loadBalancerClass: "calico",
    ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
    selector: { app: "web" },
    clusterIP: "10.96.0.10",
  },
  status: {
    loadBalancer: { ingress: [{ ip: "192.0.2.1", ipMode: "VIP" }] },
    conditions: [{ type: "projectcalico.org/LoadBalancerIPAllocated", status: "True" }],
  },
};

describe("projectService", () => {
  it("keeps identity, the request (labels for pools' service selectors), and the status, and nothing else", () => {
    assert.deepEqual(projectService(whole), {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "web",
        namespace: "shop",
        uid: "7c1f",
        resourceVersion: "42",
        generation: 3,
        creationTimestamp: "2026-11-27T10:00:00Z",
        annotations: { [ANNOTATION_IPV4_POOLS]: '["pool-a"]' },
        labels: { app: "web" },
      },
      spec: {
        type: "LoadBalancer",
        ipFamilies: ["IPv4", "IPv6"],
        ipFamilyPolicy: "PreferDualStack",
        loadBalancerClass: "calico",
      },
      status: whole.status,
    });
  });

  it("is a fraction of the object's size", () => {
    assert.ok(JSON.stringify(projectService(whole)).length * 4 < JSON.stringify(whole).length);
  });

  it("leaves out what is absent and survives what is malformed", () => {
    assert.deepEqual(projectService({ metadata: { name: "a", annotations: { other: "1" } }, spec: null }), {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "a" },
      spec: {},
    });
    assert.deepEqual(projectService("not an object"), {
      apiVersion: "v1",
      kind: "Service",
      metadata: {},
      spec: {},
    });
    // A deletion in progress is kept: lbipam must see it.
    const deleting = projectService({ metadata: { name: "a", deletionTimestamp: "2026-11-27T11:00:00Z" } });
    assert.equal(deleting.metadata.deletionTimestamp, "2026-11-27T11:00:00Z");
  });
});

describe("projectNamespace", () => {
  it("keeps the name and labels only", () => {
    assert.deepEqual(
      projectNamespace({
        metadata: {
          name: "shop",
          uid: "1",
          labels: { team: "a" },
          annotations: { big: "x" },
          managedFields: [],
        },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      }),
      { metadata: { name: "shop", uid: "1", labels: { team: "a" } } },
    );
  });
});

describe("projections of parsed objects", () => {
  // Shared strings cannot be told apart from copies in JavaScript; the benchmarks measure the saving.
  it("read the same as their sources", () => {
    const [a, b] = JSON.parse(
      JSON.stringify([whole, { ...whole, metadata: { ...whole.metadata, name: "api" } }]),
    );
    const pa = projectService(a);
    const pb = projectService(b);
    assert.equal(pa.metadata.namespace, "shop");
    assert.deepEqual(pa.status, whole.status);
    assert.deepEqual(pb.status, whole.status);
    assert.deepEqual([pa.metadata.name, pb.metadata.name], ["web", "api"]);
  });
});
