// calico-blocks.ts: Calico's IPAM blocks read as Calico's own LoadBalancer controller reads them
// (kube-controllers/pkg/controllers/loadbalancer/loadbalancer_controller.go, handleBlockUpdate and
// createHandle; field names from libcalico-go/config/crd/crd.projectcalico.org_ipamblocks.yaml).
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  BLOCK_ORDINALS,
  CALICO_LB_AFFINITY,
  calicoBlockRecords,
  calicoServiceHandle,
} from "../src/calico-blocks.js";

it("computes Calico's handle of a Service: lb- and the URL-safe SHA-256 of lower-case name-namespace-uid, without - _ .", () => {
  // Expected values computed apart from this code (Python's hashlib and base64.urlsafe_b64encode).
  const steps: [{ name: string; namespace: string; uid: string }, string][] = [
    [
      { name: "web", namespace: "shop", uid: "5c2a8b4e-1f0d-4c7a-9b1e-2d3f4a5b6c7d" },
      "lb-miDDGPyfcu3Dy7YIz8GCrgIau6t8IDCKzPu9LeYBKo",
    ],
    [{ name: "Web", namespace: "Shop", uid: "UID" }, "lb-C9VyWlT0cnlSB0oF0KRnSnCt7pTKzjwLKjNvwMYxKpY"],
  ];
  for (const [service, handle] of steps)
    assert.equal(calicoServiceHandle(service), handle, JSON.stringify(service));
});

const attribute = (namespace: string, service: string, handle = `lb-${service}`) => ({
  handle_id: handle,
  secondary: { namespace, service, type: "LoadBalancer" },
});

const block = (spec: Record<string, unknown>, name = "10-80-0-0-30") => ({
  apiVersion: "crd.projectcalico.org/v1",
  kind: "IPAMBlock",
  metadata: { name },
  spec: { cidr: "10.80.0.0/30", affinity: CALICO_LB_AFFINITY, ...spec },
});

it("reads one record per allocation of a LoadBalancer block, and nothing of other blocks", () => {
  const steps: [string, unknown, string[], RegExp[]][] = [
    [
      "allocations at ordinals 1 and 3, the attributes they point at",
      block({
        allocations: [null, 1, null, 0],
        attributes: [attribute("shop", "b"), attribute("shop", "a")],
      }),
      ["10.80.0.1 shop/a lb-a", "10.80.0.3 shop/b lb-b"],
      [],
    ],
    [
      "a host's block (pods' addresses)",
      block({ affinity: "host:node-1", allocations: [0], attributes: [attribute("shop", "a")] }),
      [],
      [],
    ],
    [
      "a block being deleted",
      block({ deleted: true, allocations: [0], attributes: [attribute("shop", "a")] }),
      [],
      [],
    ],
    [
      "an allocation naming no Service, as Calico's controller skips it",
      block({
        allocations: [0, 1],
        attributes: [{ handle_id: "lb-x", secondary: { namespace: "shop" } }, attribute("shop", "b")],
      }),
      ["10.80.0.1 shop/b lb-b"],
      [/allocation 0 names no valid namespace/],
    ],
    [
      "an allocation pointing past the attributes",
      block({ allocations: [7], attributes: [] }),
      [],
      [/allocation 0 names no valid namespace/],
    ],
    [
      "names no Service can have (a namespace of 1,000 characters, an upper-case Service)",
      block({
        allocations: [0, 1, 2],
        attributes: [attribute("a".repeat(1000), "web"), attribute("shop", "Web"), attribute("shop", "ok")],
      }),
      ["10.80.0.2 shop/ok lb-ok"],
      [/2 allocations, the first 0 name no valid namespace/],
    ],
    [
      "an IPv6 block",
      block({ cidr: "fd00:80::/126", allocations: [null, null, 0], attributes: [attribute("shop", "v6")] }),
      ["fd00:80::2 shop/v6 lb-v6"],
      [],
    ],
    [
      "more allocations than the block has addresses",
      block({ allocations: [null, null, null, null, 0], attributes: [attribute("shop", "a")] }),
      [],
      [/5 allocations for 4 addresses; the first 4 are read/],
    ],
    [
      "a CIDR that is not one",
      block({ cidr: "10.80.0.0", allocations: [0], attributes: [attribute("shop", "a")] }),
      [],
      [/spec.cidr/],
    ],
    ["no spec at all", { metadata: { name: "x" } }, [], []],
  ];
  for (const [what, object, records, problems] of steps) {
    const reading = calicoBlockRecords(object);
    assert.deepEqual(
      reading.records.map((r) => `${r.text} ${r.service} ${r.handle}`),
      records,
      what,
    );
    assert.equal(reading.problems.length, problems.length, `${what}: ${reading.problems.join("; ")}`);
    for (const [i, problem] of problems.entries()) assert.match(reading.problems[i]!, problem, what);
  }
});

it("reads at most BLOCK_ORDINALS allocations of a block however long its list, and names the block in each problem", () => {
  const allocations = Array.from({ length: 100_000 }, () => 0);
  const reading = calicoBlockRecords(
    block({ cidr: "10.0.0.0/8", allocations, attributes: [attribute("shop", "a")] }, "huge"),
  );
  assert.equal(reading.records.length, BLOCK_ORDINALS);
  assert.equal(reading.records.at(-1)!.text, "10.0.15.255");
  assert.equal(reading.records[0]!.block, "huge");
  assert.match(reading.problems[0]!, /^IPAM block "huge": 100000 allocations/);
});
