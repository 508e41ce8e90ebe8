// metav1.Time and metav1.MicroTime as kube-apiserver reads and stores them
// (apimachinery/pkg/apis/meta/v1/time.go, micro_time.go; Go's time/format.go Parse).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { normalizeTime, TimeParseError } from "../src/operations/timestamp.js";
import { ApiClient } from "./helpers/api-client.js";

describe("normalizeTime", () => {
  const micro = '"2006-01-02T15:04:05.000000Z07:00"';
  const seconds = '"2006-01-02T15:04:05Z07:00"';
  // Time is written in UTC with whole seconds, MicroTime in UTC with six digits;
  // what Go's time.Parse refuses is refused with its message.
  const steps: [
    value: string,
    kind: "Time" | "MicroTime",
    outcome: { written: string } | { refused: string },
  ][] = [
    ["2026-01-02T03:04:05Z", "Time", { written: "2026-01-02T03:04:05Z" }],
    ["2026-01-02T03:04:05.987654321+01:30", "Time", { written: "2026-01-02T01:34:05Z" }],
    ["2026-01-01T00:30:00,5-01:00", "Time", { written: "2026-01-01T01:30:00Z" }],
    ["2026-01-01T1:02:03Z", "Time", { written: "2026-01-01T01:02:03Z" }],
    ["2024-02-29T23:59:59-00:30", "Time", { written: "2024-03-01T00:29:59Z" }],
    ["0001-01-01T00:00:00Z", "Time", { written: "0001-01-01T00:00:00Z" }],
    ["2026-01-02T03:04:05.123456+02:00", "MicroTime", { written: "2026-01-02T01:04:05.123456Z" }],
    ["2026-01-02T03:04:05.000001Z", "MicroTime", { written: "2026-01-02T03:04:05.000001Z" }],
    ["", "Time", { refused: `parsing time "" as ${seconds}: cannot parse "" as "2006"` }],
    [
      "2026-01-01 00:00:00Z",
      "Time",
      { refused: `parsing time "2026-01-01 00:00:00Z" as ${seconds}: cannot parse " 00:00:00Z" as "T"` },
    ],
    [
      "2026-01-01T00:00:00",
      "Time",
      { refused: `parsing time "2026-01-01T00:00:00" as ${seconds}: cannot parse "" as "Z07:00"` },
    ],
    [
      "2026-1-01T00:00:00Z",
      "Time",
      { refused: `parsing time "2026-1-01T00:00:00Z" as ${seconds}: cannot parse "1-01T00:00:00Z" as "01"` },
    ],
    ["2026-13-01T00:00:00Z", "Time", { refused: 'parsing time "2026-13-01T00:00:00Z": month out of range' }],
    ["2026-02-29T00:00:00Z", "Time", { refused: 'parsing time "2026-02-29T00:00:00Z": day out of range' }],
    [
      "2026-01-01T00:00:00Zjunk",
      "Time",
      { refused: 'parsing time "2026-01-01T00:00:00Zjunk": extra text: "junk"' },
    ],
    [
      "2026-01-01T00:00:00Z",
      "MicroTime",
      { refused: `parsing time "2026-01-01T00:00:00Z" as ${micro}: cannot parse "Z" as ".000000"` },
    ],
    [
      "2026-01-01T00:00:00.123Z",
      "MicroTime",
      { refused: `parsing time "2026-01-01T00:00:00.123Z" as ${micro}: cannot parse ".123Z" as ".000000"` },
    ],
    [
      "2026-01-01T00:00:00.123456789Z",
      "MicroTime",
      {
        refused: `parsing time "2026-01-01T00:00:00.123456789Z" as ${micro}: cannot parse "789Z" as "Z07:00"`,
      },
    ],
  ];
  for (const [value, kind, outcome] of steps) {
    const says = "written" in outcome ? `writes ${outcome.written}` : "refuses it as Go's time.Parse does";
    it(`${kind} ${JSON.stringify(value)}: ${says}`, () => {
      if ("written" in outcome) assert.equal(normalizeTime(value, kind), outcome.written);
      else assert.throws(() => normalizeTime(value, kind), new TimeParseError(outcome.refused));
    });
  }
});

describe("times of built-in kinds through the server", () => {
  let server: ApiServer;
  let api: ApiClient;
  const leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  before(async () => {
    server = await startApiServer();
    api = new ApiClient(server);
  });
  after(async () => {
    api.close();
    await server.stop();
  });

  it("stores Lease MicroTimes in UTC and refuses one without six digits (400 on create, 422 on patch)", async () => {
    const stream = await api.watch(`${leases}?watch=1`);
    const created = await api.post(leases, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "times" },
      spec: { acquireTime: "2026-01-02T03:04:05.123456+02:00", renewTime: "2026-01-02T03:04:05.000001Z" },
    });
    assert.equal(created.status, 201, created.text);
    const written = { acquireTime: "2026-01-02T01:04:05.123456Z", renewTime: "2026-01-02T03:04:05.000001Z" };
    assert.deepEqual(created.body.spec, written);
    assert.deepEqual((await api.get(`${leases}/times`)).body.spec, written);
    assert.deepEqual((await stream.next()).object.spec, written);
    stream.close();

    const refused = await api.post(leases, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "seconds" },
      spec: { renewTime: "2026-01-02T03:04:05Z" },
    });
    assert.equal(refused.status, 400);
    assert.equal(
      refused.body.message,
      'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    );
    const patched = await api.patch(`${leases}/times`, { spec: { renewTime: "2026-01-02T03:04:05.123Z" } });
    assert.equal(patched.status, 422, patched.text);
    const cause = (patched.body.details as { causes: { field: string; message: string }[] }).causes[0]!;
    assert.equal(cause.field, "patch");
    assert.match(
      cause.message,
      /: parsing time "2026-01-02T03:04:05.123Z" as .*cannot parse ".123Z" as ".000000"$/,
    );
  });

  it("stores Event Times with whole seconds in UTC, its eventTime with six digits", async () => {
    const created = await api.post("/api/v1/namespaces/default/events", {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "times" },
      involvedObject: { kind: "Lease", namespace: "default", name: "times" },
      reason: "Tested",
      firstTimestamp: "2026-01-02T03:04:05.987654321+01:30",
      lastTimestamp: "2026-01-02T03:04:06.5Z",
      eventTime: "2026-01-02T03:04:05.123456-01:00",
      reportingComponent: "test",
      reportingInstance: "test",
      action: "Test",
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.firstTimestamp, "2026-01-02T01:34:05Z");
    assert.equal(created.body.lastTimestamp, "2026-01-02T03:04:06Z");
    assert.equal(created.body.eventTime, "2026-01-02T04:04:05.123456Z");
    const modern = await api.get("/apis/events.k8s.io/v1/namespaces/default/events/times");
    assert.equal(modern.body.deprecatedFirstTimestamp, "2026-01-02T01:34:05Z");
  });

  it("stores a Service condition's lastTransitionTime with whole seconds in UTC", async () => {
    const services = "/api/v1/namespaces/default/services";
    const created = await api.post(services, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "times" },
      spec: { ports: [{ port: 80 }] },
    });
    assert.equal(created.status, 201, created.text);
    const condition = {
      type: "Ready",
      status: "True",
      lastTransitionTime: "2026-01-02T03:04:05.5-05:00",
      reason: "Tested",
      message: "",
    };
    const patched = await api.patch(`${services}/times/status`, { status: { conditions: [condition] } });
    assert.equal(patched.status, 200, patched.text);
    const [stored] = (patched.body.status as { conditions: { lastTransitionTime: string }[] }).conditions;
    assert.equal(stored!.lastTransitionTime, "2026-01-02T08:04:05Z");
  });
});
