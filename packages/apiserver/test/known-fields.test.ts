import assert from "node:assert/strict";
import { test } from "node:test";
import { serviceFields } from "../src/builtin/fields/kinds.js";
import { readAsStructs } from "../src/builtin/fields/tree.js";

const cases: { name: string; input: unknown; pruned: unknown; unknown: string[] }[] = [
  {
    name: "known fields stay",
    input: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "a", labels: { x: "y" } },
      spec: { ports: [{ port: 80 }] },
    },
    pruned: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "a", labels: { x: "y" } },
      spec: { ports: [{ port: 80 }] },
    },
    unknown: [],
  },
  {
    name: "an unknown spec field is dropped and named",
    input: { spec: { foo: 1, type: "LoadBalancer" } },
    pruned: { spec: { type: "LoadBalancer" } },
    unknown: ["spec.foo"],
  },
  {
    name: "list items are named by index",
    input: { spec: { ports: [{ port: 80 }, { port: 81, bogus: true }] } },
    pruned: { spec: { ports: [{ port: 80 }, { port: 81 }] } },
    unknown: ["spec.ports[1].bogus"],
  },
  {
    name: "map values are free-form keys",
    input: { metadata: { annotations: { "any/key": "v" } }, spec: { selector: { app: "x" } } },
    pruned: { metadata: { annotations: { "any/key": "v" } }, spec: { selector: { app: "x" } } },
    unknown: [],
  },
  {
    name: "unknown top-level and status fields",
    input: { extra: {}, status: { loadBalancer: { ingress: [{ ip: "1.2.3.4", nope: 1 }] } } },
    pruned: { status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } },
    unknown: ["extra", "status.loadBalancer.ingress[0].nope"],
  },
];

for (const c of cases) {
  test(`Service fields: ${c.name}`, () => {
    const result = readAsStructs(c.input, serviceFields);
    assert.deepEqual(result.value, c.pruned);
    assert.deepEqual(result.unknown, c.unknown);
  });
}

test("the input is not modified", () => {
  const input = { spec: { foo: 1 } };
  readAsStructs(input, serviceFields);
  assert.deepEqual(input, { spec: { foo: 1 } });
});
