import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  toCoreEvent,
  toEventsV1Event,
  validateEventCreate,
  validateEventUpdate,
} from "../src/kinds/index.js";
import type { KubeObject } from "../src/types.js";
import { causeText } from "../src/validation/index.js";

const regarding = { kind: "Service", namespace: "default", name: "web", uid: "u1", apiVersion: "v1" };

const modern: KubeObject = {
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name: "web.17", namespace: "default" },
  eventTime: "2026-01-01T00:00:00.123456Z",
  reportingController: "projectcalico.org/lbipam",
  reportingInstance: "lbipam-0",
  action: "Allocate",
  reason: "IPAllocated",
  regarding,
  note: "assigned 192.0.2.1",
  type: "Normal",
};

describe("Event conversion", () => {
  it("maps events.k8s.io/v1 onto core/v1 as kube-apiserver does", () => {
    assert.deepEqual(toCoreEvent(modern), {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.17", namespace: "default" },
      involvedObject: regarding,
      action: "Allocate",
      reason: "IPAllocated",
      message: "assigned 192.0.2.1",
      type: "Normal",
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: "2026-01-01T00:00:00.123456Z",
      reportingComponent: "projectcalico.org/lbipam",
      reportingInstance: "lbipam-0",
    });
  });

  it("round-trips through both APIs", () => {
    assert.deepEqual(toEventsV1Event(toCoreEvent(modern)), {
      ...modern,
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    });
  });

  it("shows a legacy core Event through events.k8s.io with the deprecated fields", () => {
    const legacy: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.1", namespace: "default" },
      involvedObject: regarding,
      reason: "IPAllocated",
      message: "hello",
      source: { component: "lbipam" },
      firstTimestamp: "2026-01-01T00:00:00Z",
      lastTimestamp: "2026-01-01T00:01:00Z",
      count: 2,
      type: "Normal",
    };
    const modernView = toEventsV1Event(legacy);
    assert.equal(modernView.note, "hello");
    assert.deepEqual(modernView.deprecatedSource, { component: "lbipam" });
    assert.equal(modernView.deprecatedCount, 2);
    assert.equal(modernView.eventTime, null);
    assert.equal(modernView.reportingController, undefined);
    assert.deepEqual(toCoreEvent(modernView), toCoreEvent(legacy));
  });
});

describe("Event validation", () => {
  it("accepts a well-formed Event through either API", () => {
    assert.deepEqual(validateEventCreate(toCoreEvent(modern), "events.k8s.io/v1"), []);
    assert.deepEqual(validateEventCreate(toCoreEvent(modern), "v1"), []);
  });

  it("applies the strict rules only to events.k8s.io", () => {
    const bad = toCoreEvent({
      ...modern,
      type: "Odd",
      deprecatedCount: 3,
      metadata: { name: "Bad_Name", namespace: "default" },
    });
    assert.deepEqual(validateEventCreate(bad, "v1"), []);
    const causes = validateEventCreate(bad, "events.k8s.io/v1").map(causeText);
    assert.equal(causes.length, 3);
    assert.match(causes[0]!, /^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    assert.deepEqual(causes.slice(1), [
      'type: Invalid value: "": has invalid value: Odd',
      'count: Invalid value: "": needs to be unset',
    ]);
  });

  it("checks the legacy rules on both APIs, naming the field per API", () => {
    const missing = toCoreEvent({ ...modern, reportingController: undefined, action: undefined });
    // kube also runs the qualified-name check on the empty value, hence three causes for one field.
    const legacy = validateEventCreate(missing, "v1").map(causeText);
    assert.deepEqual(legacy.slice(0, 2), [
      "reportingComponent: Required value",
      'reportingComponent: Invalid value: "": name part must be non-empty',
    ]);
    assert.match(legacy[2]!, /^reportingComponent: Invalid value: "": name part must consist of/);
    assert.deepEqual(legacy.slice(3), ["action: Required value"]);
    const strict = validateEventCreate(missing, "events.k8s.io/v1").map(causeText);
    assert.equal(strict[0], "reportingController: Required value");
    assert.equal(strict.at(-1), "action: Required value");
    const elsewhere = {
      ...toCoreEvent(modern),
      eventTime: null,
      involvedObject: { ...regarding, namespace: "other" },
    };
    assert.deepEqual(validateEventCreate(elsewhere, "v1").map(causeText), [
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
  });

  it("keeps an Event's content immutable through events.k8s.io", () => {
    const stored = {
      ...toCoreEvent(modern),
      metadata: { name: "web.17", namespace: "default", resourceVersion: "1" },
    };
    const changed = {
      ...stored,
      message: "other",
      series: { count: 2, lastObservedTime: "2026-01-01T00:05:00.000000Z" },
    };
    assert.deepEqual(validateEventUpdate(changed, stored, "events.k8s.io/v1").map(causeText), [
      'message: Invalid value: "other": field is immutable',
    ]);
    assert.deepEqual(validateEventUpdate(changed, stored, "v1"), []);
  });
});
