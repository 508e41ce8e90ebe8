import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCrd } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";
import { create, loadFixture, messages, RULES_NOT_CHECKED, update } from "./fixtures/crd/load.js";

const widgets = compileCrd(loadFixture("widgets.example.com.yaml"));
const version = widgets.versions[0]!;

function widget(spec: Record<string, unknown>, name = "w-1"): KubeObject {
  return { apiVersion: "example.com/v1", kind: "Widget", metadata: { name, namespace: "default" }, spec };
}

describe("CRD engine: names and versions", () => {
  it("defaults singular and listKind from kind, as kube-apiserver does", () => {
    assert.equal(widgets.name, "widgets.example.com");
    assert.equal(widgets.scope, "Namespaced");
    assert.deepEqual(widgets.names, {
      plural: "widgets",
      singular: "widget",
      kind: "Widget",
      listKind: "WidgetList",
      shortNames: [],
      categories: [],
    });
    assert.equal(widgets.storageVersion, "v1");
    assert.equal(version.hasStatusSubresource, false);
  });

  it("serves an Age column when the CRD declares none", () => {
    assert.deepEqual(
      version.printerColumns.map(({ name, type, jsonPath, priority }) => ({
        name,
        type,
        jsonPath,
        priority,
      })),
      [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", priority: 0 }],
    );
  });
});

describe("CRD engine: schema validation", () => {
  it("accepts int-or-string both ways and refuses other types", () => {
    assert.deepEqual(messages(create(version, widget({ size: 3 }))), []);
    assert.deepEqual(messages(create(version, widget({ size: "3" }))), []);
    assert.deepEqual(messages(create(version, widget({ size: true }))), [
      'spec.size: Invalid value: "boolean": spec.size in body must be of type integer,string: "boolean"',
      RULES_NOT_CHECKED,
    ]);
  });

  it("checks string length, pattern and nullability", () => {
    assert.deepEqual(messages(create(version, widget({ size: 1, note: null }))), []);
    assert.deepEqual(messages(create(version, widget({ size: 1, note: "a" }))), [
      'spec.note: Invalid value: "a": spec.note in body should be at least 2 chars long',
    ]);
    assert.deepEqual(messages(create(version, widget({ size: 1, note: "abcdef" }))), [
      "spec.note: Too long: may not be more than 5 bytes",
      RULES_NOT_CHECKED,
    ]);
    assert.deepEqual(messages(create(version, widget({ size: 1, note: "AB" }))), [
      "spec.note: Invalid value: \"AB\": spec.note in body should match '^[a-z]+$'",
    ]);
  });

  it("checks date-time formats", () => {
    assert.deepEqual(messages(create(version, widget({ size: 1, when: "2026-01-01T10:00:00.5+02:00" }))), []);
    assert.deepEqual(messages(create(version, widget({ size: 1, when: "yesterday" }))), [
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      RULES_NOT_CHECKED,
    ]);
  });

  it("refuses too many items and duplicate keys of a map list", () => {
    const ports = [{ name: "a" }, { name: "b" }, { name: "a" }, { name: "c" }];
    assert.deepEqual(messages(create(version, widget({ ports }))), [
      "spec.ports: Too many: 4: must have at most 3 items",
      'spec.ports[2]: Duplicate value: map[string]interface {}{"name":"a"}',
      RULES_NOT_CHECKED,
    ]);
  });

  it("requires the required fields of list items", () => {
    assert.deepEqual(messages(create(version, widget({ ports: [{ port: 80 }] }))), [
      "spec.ports[0].name: Required value",
      RULES_NOT_CHECKED,
    ]);
  });
});

describe("CRD engine: pruning and defaults", () => {
  it("keeps unknown fields under x-kubernetes-preserve-unknown-fields and defaults its known ones", () => {
    const { object, unknownFields } = create(
      version,
      widget({ size: 1, extra: { anything: { deep: [1] } } }),
    );
    assert.deepEqual(unknownFields, []);
    assert.deepEqual((object.spec as Record<string, unknown>).extra, { anything: { deep: [1] }, level: 3 });
  });

  it("prunes inside list items and names the item in the path", () => {
    const { object, unknownFields } = create(version, widget({ ports: [{ name: "a", colour: "red" }] }));
    assert.deepEqual(unknownFields, [".spec.ports[0].colour"]);
    assert.deepEqual((object.spec as Record<string, unknown>).ports, [{ name: "a", protocol: "TCP" }]);
  });

  it("prunes null values of fields that are neither nullable nor defaulted", () => {
    const { object, causes } = create(version, widget({ size: 1, owner: null }));
    assert.deepEqual(causes, []);
    assert.equal("owner" in (object.spec as object), false);
  });
});

describe("CRD engine: CEL rules", () => {
  it("sees only name and generateName of the root metadata, and reports root rules at <nil>", () => {
    assert.deepEqual(messages(create(version, widget({ size: 1 }, "gadget"))), [
      '<nil>: Invalid value: "object": widget names start with w-',
    ]);
  });

  it("uses the reason and fieldPath of a rule", () => {
    assert.deepEqual(messages(create(version, widget({ size: 1, owner: "nobody" }))), [
      "spec.owner: Forbidden: nobody may not own a widget",
    ]);
    assert.deepEqual(messages(create(version, widget({}))), [
      "spec: Required value: ports or size is required",
    ]);
  });

  it("words a rule without message as 'failed rule' and reports evaluation errors", () => {
    assert.deepEqual(messages(create(version, widget({ size: "0" }))), [
      'spec: Invalid value: "object": failed rule: !has(self.size) || int(string(self.size)) > 0',
    ]);
    const failed = messages(create(version, widget({ size: "ten" })));
    assert.equal(failed.length, 1);
    assert.match(
      failed[0]!,
      /^spec: Invalid value: "object": .+ evaluating rule: !has\(self\.size\) \|\| int\(string\(self\.size\)\) > 0$/,
    );
  });

  it("treats number fields as doubles", () => {
    assert.deepEqual(messages(create(version, widget({ size: 1, ratio: 1 }))), []);
    assert.deepEqual(messages(create(version, widget({ size: 1, ratio: 2.5 }))), [
      'spec.ratio: Invalid value: "number": failed rule: self < 1.5',
    ]);
  });

  it("evaluates rules of map values with messageExpression, keyed in the path", () => {
    assert.deepEqual(
      messages(create(version, widget({ size: 1, labels: { team: "net", tier: "forbidden" } }))),
      ['spec.labels[tier]: Invalid value: "string": label value forbidden is not allowed'],
    );
  });

  it("correlates items of a map list by key for transition rules", () => {
    const old = widget({
      ports: [
        { name: "a", port: 80 },
        { name: "b", port: 90 },
      ],
    });
    const shrunk = widget({
      ports: [
        { name: "b", port: 91 },
        { name: "a", port: 79 },
      ],
    });
    assert.deepEqual(messages(update(version, old, shrunk)), [
      'spec.ports[1]: Invalid value: "object": a port may only grow',
    ]);
    assert.deepEqual(messages(create(version, shrunk)), []);
  });
});
