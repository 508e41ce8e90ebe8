import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildTable,
  DEFAULT_TABLE,
  EVENT_TABLE,
  humanDuration,
  LEASE_TABLE,
  NAMESPACE_TABLE,
  parseIncludeObject,
  SERVICE_TABLE,
  tableOf,
} from "../src/tables/index.js";
import type { KubeObject } from "../src/types.js";

const now = new Date("2026-01-01T12:00:00Z");
const created = "2026-01-01T11:55:00Z";

function service(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: "web", namespace: "default", creationTimestamp: created }, spec, status };
}

describe("humanDuration", () => {
  it("matches apimachinery's thresholds", () => {
    const s = 1000;
    const cases: [number, string][] = [
      [-3 * s, "<invalid>"],
      [-1500, "0s"],
      [0, "0s"],
      [119 * s, "119s"],
      [120 * s, "2m"],
      [(5 * 60 + 10) * s, "5m10s"],
      [179 * 60 * s, "179m"],
      [(3 * 3600 + 60) * s, "3h1m"],
      [47 * 3600 * s, "47h"],
      [(2 * 24 + 4) * 3600 * s, "2d4h"],
      [400 * 24 * 3600 * s, "400d"],
      [(3 * 365 + 10) * 24 * 3600 * s, "3y10d"],
      [9 * 365 * 24 * 3600 * s, "9y"],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  });
});

describe("Service table", () => {
  it("prints a pending LoadBalancer as kubectl shows it", () => {
    const cells = SERVICE_TABLE.cells(
      service({
        type: "LoadBalancer",
        clusterIPs: ["10.96.1.1", "fd00:10:96::101"],
        ports: [
          { port: 80, nodePort: 31234, protocol: "TCP" },
          { port: 53, protocol: "UDP" },
        ],
        selector: { tier: "front", app: "web" },
      }),
      now,
    );
    assert.deepEqual(cells, [
      "web",
      "LoadBalancer",
      "10.96.1.1",
      "<pending>",
      "80:31234/TCP,53/UDP",
      "5m",
      "app=web,tier=front",
    ]);
    assert.deepEqual(
      SERVICE_TABLE.columns.map((c) => [c.name, c.priority]),
      [
        ["Name", 0],
        ["Type", 0],
        ["Cluster-IP", 0],
        ["External-IP", 0],
        ["Port(s)", 0],
        ["Age", 0],
        ["Selector", 1],
      ],
    );
  });

  it("shows ingress addresses sorted, external IPs, and <none>", () => {
    const lb = service(
      {
        type: "LoadBalancer",
        clusterIPs: ["10.96.1.1"],
        ports: [{ port: 80, protocol: "TCP" }],
        externalIPs: ["198.51.100.7"],
      },
      {
        loadBalancer: { ingress: [{ ip: "192.0.2.9" }, { hostname: "lb.example.com" }, { ip: "192.0.2.1" }] },
      },
    );
    assert.equal(SERVICE_TABLE.cells(lb, now)[3], "192.0.2.1,192.0.2.9,lb.example.com,198.51.100.7");
    const plain = SERVICE_TABLE.cells(
      service({ type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"] }),
      now,
    );
    assert.deepEqual(plain.slice(2, 5), ["None", "<none>", "<none>"]);
    assert.equal(plain[6], "<none>");
    assert.equal(
      SERVICE_TABLE.cells(service({ type: "ExternalName", externalName: "db.example.com" }), now)[3],
      "db.example.com",
    );
  });
});

describe("other built-in tables", () => {
  it("prints Namespaces, Leases and CRDs", () => {
    const ns = {
      metadata: { name: "default", creationTimestamp: "2025-12-30T12:00:00Z" },
      status: { phase: "Active" },
    };
    assert.deepEqual(NAMESPACE_TABLE.cells(ns, now), ["default", "Active", "2d"]);
    const lease = {
      metadata: { name: "lbipam", creationTimestamp: created },
      spec: { holderIdentity: "pod-1" },
    };
    assert.deepEqual(LEASE_TABLE.cells(lease, now), ["lbipam", "pod-1", "5m"]);
    const crd = {
      metadata: { name: "ippools.projectcalico.org", creationTimestamp: "2026-01-01T00:00:00Z" },
    };
    assert.deepEqual(DEFAULT_TABLE.cells(crd, now), ["ippools.projectcalico.org", "2026-01-01T00:00:00Z"]);
    assert.deepEqual(
      DEFAULT_TABLE.columns.map((c) => [c.name, c.type]),
      [
        ["Name", "string"],
        ["Created At", "date"],
      ],
    );
  });

  it("prints core and events.k8s.io Events alike", () => {
    const core: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.1" },
      involvedObject: { kind: "Service", name: "web" },
      reason: "IPAllocated",
      message: " assigned 192.0.2.1 ",
      type: "Normal",
      source: { component: "lbipam" },
      firstTimestamp: "2026-01-01T11:00:00Z",
      lastTimestamp: "2026-01-01T11:58:00Z",
      count: 3,
    };
    assert.deepEqual(EVENT_TABLE.cells(core, now), [
      "2m",
      "Normal",
      "IPAllocated",
      "service/web",
      "",
      "lbipam",
      "assigned 192.0.2.1",
      "60m",
      3,
      "web.1",
    ]);
    const modern: KubeObject = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "web.2" },
      eventTime: "2026-01-01T11:59:30.000000Z",
      regarding: { kind: "Service", name: "web" },
      reportingController: "lbipam",
      reportingInstance: "lbipam-0",
      reason: "IPReleased",
      note: "released",
      type: "Normal",
    };
    assert.deepEqual(EVENT_TABLE.cells(modern, now), [
      "30s",
      "Normal",
      "IPReleased",
      "service/web",
      "",
      "lbipam, lbipam-0",
      "released",
      "30s",
      1,
      "web.2",
    ]);
    assert.deepEqual(
      EVENT_TABLE.columns.filter((c) => c.priority === 0).map((c) => c.name),
      ["Last Seen", "Type", "Reason", "Object", "Message"],
    );
  });
});

describe("buildTable", () => {
  const ns = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "a", creationTimestamp: created },
    status: { phase: "Active" },
  };

  it("embeds metadata, the object or nothing", () => {
    const metadataTable = tableOf(NAMESPACE_TABLE, [ns], now, {
      includeObject: "Metadata",
      resourceVersion: "42",
    });
    assert.equal(metadataTable.kind, "Table");
    assert.equal(metadataTable.apiVersion, "meta.k8s.io/v1");
    assert.deepEqual(metadataTable.metadata, { resourceVersion: "42" });
    assert.deepEqual(metadataTable.rows, [
      {
        cells: ["a", "Active", "5m"],
        object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: ns.metadata },
      },
    ]);
    const full = buildTable({
      columns: NAMESPACE_TABLE.columns,
      rows: [{ cells: [], object: ns }],
      includeObject: "Object",
    });
    assert.deepEqual((full.rows as { object: unknown }[])[0]!.object, ns);
    const none = buildTable({
      columns: [],
      rows: [{ cells: ["x"], object: ns }],
      includeObject: "None",
      noHeaders: true,
    });
    assert.deepEqual(none.rows, [{ cells: ["x"] }]);
    assert.equal(none.columnDefinitions, null);
  });

  it("reads includeObject as kube does", () => {
    assert.equal(parseIncludeObject(null), "Metadata");
    assert.equal(parseIncludeObject("Object"), "Object");
    assert.throws(() => parseIncludeObject("All"), { message: 'unrecognized includeObject value: "All"' });
  });
});
