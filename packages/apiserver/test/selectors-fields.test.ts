import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  builtinFieldSelectorTable,
  convertFieldSelector,
  customResourceFieldSelectorTable,
  matchesFields,
  parseFieldSelector,
  SelectorError,
} from "../src/selectors/index.js";
import type { KubeObject } from "../src/types.js";

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SelectorError);
    return err.message;
  }
  assert.fail("no error");
}

describe("field selector parsing", () => {
  it("splits terms and operators, honouring escapes", () => {
    assert.deepEqual(parseFieldSelector("b!=2,a==1,c=x\\,y\\=z\\\\"), [
      { field: "a", operator: "==", value: "1" },
      { field: "b", operator: "!=", value: "2" },
      { field: "c", operator: "=", value: "x,y=z\\" },
    ]);
    assert.deepEqual(parseFieldSelector(""), []);
    assert.deepEqual(parseFieldSelector("a="), [{ field: "a", operator: "=", value: "" }]);
  });

  it("gives kube's parse errors", () => {
    assert.equal(
      errorOf(() => parseFieldSelector("a=1,b")),
      "invalid selector: 'a=1,b'; can't understand 'b'",
    );
    assert.equal(
      errorOf(() => parseFieldSelector("a=b\\x")),
      "invalid field selector: invalid escape sequence: \\x",
    );
    assert.equal(
      errorOf(() => parseFieldSelector("a=b=c")),
      "invalid field selector: unescaped character in value: 61",
    );
  });
});

const service: KubeObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { type: "LoadBalancer", clusterIP: "10.96.0.10" },
};

function select(selector: string, group: string, version: string, kind: string, obj: KubeObject): boolean {
  const table = builtinFieldSelectorTable(group, version, kind);
  assert.ok(table);
  return matchesFields(convertFieldSelector(parseFieldSelector(selector), table), table.fieldsOf(obj));
}

describe("per-kind field tables", () => {
  it("selects Services on name, namespace, type and clusterIP", () => {
    assert.equal(
      select("spec.type=LoadBalancer,metadata.namespace=default", "", "v1", "Service", service),
      true,
    );
    assert.equal(select("spec.type!=LoadBalancer", "", "v1", "Service", service), false);
    assert.equal(select("spec.clusterIP=10.96.0.10,metadata.name==web", "", "v1", "Service", service), true);
  });

  it("refuses unsupported fields with each kind's message", () => {
    const svc = builtinFieldSelectorTable("", "v1", "Service")!;
    assert.equal(
      errorOf(() => svc.convert("spec.ports")),
      "field label not supported: spec.ports",
    );
    const ns = builtinFieldSelectorTable("", "v1", "Namespace")!;
    assert.equal(
      errorOf(() => ns.convert("metadata.namespace")),
      "field label not supported: metadata.namespace",
    );
    const lease = builtinFieldSelectorTable("coordination.k8s.io", "v1", "Lease")!;
    assert.equal(
      errorOf(() => lease.convert("spec.holderIdentity")),
      '"spec.holderIdentity" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    assert.equal(lease.convert("metadata.name"), "metadata.name");
  });

  it("selects core Events as kubectl describe does, through both Event APIs", () => {
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.1", namespace: "default" },
      involvedObject: { kind: "Service", name: "web", namespace: "default", uid: "u1" },
      reason: "IPAllocated",
      type: "Normal",
      source: {},
      reportingComponent: "lbipam",
    };
    const describe =
      "involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Service,involvedObject.uid=u1";
    assert.equal(select(describe, "", "v1", "Event", event), true);
    assert.equal(select("involvedObject.uid=u2", "", "v1", "Event", event), false);
    assert.equal(select("source=lbipam,reportingComponent=lbipam", "", "v1", "Event", event), true);
    assert.equal(
      select("regarding.name=web,reportingController=lbipam", "events.k8s.io", "v1", "Event", event),
      true,
    );
    assert.equal(select("regarding.name=db", "events.k8s.io", "v1", "Event", event), false);
    const eventsV1 = builtinFieldSelectorTable("events.k8s.io", "v1", "Event")!;
    assert.equal(
      errorOf(() => eventsV1.convert("note")),
      "field label not supported: note",
    );
  });

  it("offers custom resources their selectable fields", () => {
    const table = customResourceFieldSelectorTable(false, [".spec.cidr"]);
    const pool: KubeObject = { metadata: { name: "p" }, spec: { cidr: "10.0.0.0/24" } };
    assert.equal(
      matchesFields(
        convertFieldSelector(parseFieldSelector("spec.cidr=10.0.0.0/24"), table),
        table.fieldsOf(pool),
      ),
      true,
    );
    assert.equal(
      errorOf(() => table.convert("spec.other")),
      "field label not supported: spec.other",
    );
  });
});
