import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide } from "@lbipam/api";
import { explainService, renderExplanation } from "../src/explain.js";
import { buildState, decisionInput } from "../src/state.js";
import { objects, pool, service } from "./helpers/fixtures.js";

const edge = pool("edge", { cidr: "192.0.2.0/31", blockSize: 31 });
const spare = pool("spare", { cidr: "198.51.100.0/31", blockSize: 31, disabled: true });

function explain(parts: Parameters<typeof objects>[0], key: string) {
  const all = objects(parts);
  const state = buildState(all);
  const target = all.services.find((s) => `${s.metadata.namespace}/${s.metadata.name}` === key)!;
  return { explanation: explainService(state, target), state, target };
}

describe("explain", () => {
  it("gives the decision of the controller's own decide", () => {
    const parts = {
      pools: [edge, spare],
      services: [
        service("ns/a", { ingress: ["192.0.2.0"] }),
        service("ns/b", { ingress: ["192.0.2.1"] }),
        service("ns/c"),
      ],
    };
    for (const key of ["ns/a", "ns/c"]) {
      const { explanation, state, target } = explain(parts, key);
      const decision = decide(decisionInput(state, target));
      assert.deepEqual(explanation.decision.families, decision.families);
      assert.deepEqual(explanation.decision.condition, decision.condition);
    }
  });

  it("a Service holding its address: keep, and the pool is the one used", () => {
    const { explanation } = explain(
      { pools: [edge, spare], services: [service("ns/a", { ingress: ["192.0.2.0"] })] },
      "ns/a",
    );
    assert.deepEqual(explanation.decision.families, [{ family: 4, action: "keep", address: "192.0.2.0" }]);
    assert.deepEqual(
      explanation.pools.map((p) => [p.name, p.verdict]),
      [
        ["edge", "used"],
        ["spare", "blocked"],
      ],
    );
    assert.deepEqual(explanation.unblock, []);
  });

  it("an exhausted pool: wait PoolExhausted, and free an address or enable the disabled pool", () => {
    const { explanation } = explain(
      {
        pools: [edge, spare],
        services: [
          service("ns/a", { ingress: ["192.0.2.0"] }),
          service("ns/b", { ingress: ["192.0.2.1"] }),
          service("ns/c"),
        ],
      },
      "ns/c",
    );
    const [family] = explanation.decision.families;
    assert.equal(family?.action, "wait");
    assert.equal(family?.action === "wait" && family.reason, "PoolExhausted");
    assert.deepEqual(
      explanation.pools.map((p) => [p.name, p.verdict, p.why]),
      [
        ["edge", "full", "no free address (every address allocated or reserved)"],
        ["spare", "blocked", "pool spare is disabled"],
      ],
    );
    assert.deepEqual(explanation.unblock, [
      "free an address in pool edge (delete a Service holding one, or remove an IPReservation covering it), or add another IPv4 pool",
      "enable pool spare (spec.disabled: false)",
    ]);
    const text = renderExplanation(explanation);
    assert.match(text, /^Addresses: +<pending>$/m);
    assert.match(text, /^ {2}IPv4: wait \(PoolExhausted\): no free IPv4 address in edge$/m);
    assert.match(text, /^To unblock:\n {2}- free an address in pool edge/m);
  });

  it("no pool of a family: add one", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [service("ns/v6", { spec: { type: "LoadBalancer", ipFamilies: ["IPv6"] } })],
      },
      "ns/v6",
    );
    assert.deepEqual(explanation.unblock, [
      "add an Automatic LoadBalancer pool of IPv6 (or name a Manual one in projectcalico.org/ipv6pools)",
    ]);
    assert.equal(explanation.pools[0]?.verdict, "not-considered");
  });

  it("a requested address held by another Service names the holder", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [
          service("ns/holder", { ingress: ["192.0.2.1"] }),
          service("ns/wants", { annotations: { "projectcalico.org/loadBalancerIPs": '["192.0.2.1"]' } }),
        ],
      },
      "ns/wants",
    );
    assert.deepEqual(explanation.request.addresses, {
      IPv4: { address: "192.0.2.1", source: "projectcalico.org/loadBalancerIPs" },
    });
    assert.deepEqual(explanation.unblock, [
      "192.0.2.1 is taken (192.0.2.1 (projectcalico.org/loadBalancerIPs): held by Service ns/holder): release it there, or ask for another address",
    ]);
  });

  it("RequireDualStack: the family that can be served waits for the other, which names what to add", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [
          service("ns/dual", {
            spec: { type: "LoadBalancer", ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" },
          }),
        ],
      },
      "ns/dual",
    );
    assert.deepEqual(
      explanation.decision.families.map((d) => (d.action === "wait" ? `${d.family} ${d.reason}` : d.action)),
      ["4 FamilyPending", "6 NoPool"],
    );
    assert.equal(explanation.pools[0]?.why, "could serve, but RequireDualStack waits for the other family");
    assert.deepEqual(explanation.unblock, [
      "add an Automatic LoadBalancer pool of IPv6 (or name a Manual one in projectcalico.org/ipv6pools)",
    ]);
  });

  it("a malformed annotation: fix it", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [service("ns/bad", { annotations: { "projectcalico.org/ipv4pools": '["nope"]' } })],
      },
      "ns/bad",
    );
    assert.deepEqual(explanation.request.problems, [
      { annotation: "projectcalico.org/ipv4pools", value: '["nope"]', reason: "unknown pool nope" },
    ]);
    assert.deepEqual(explanation.unblock, [
      'fix projectcalico.org/ipv4pools ("[\\"nope\\"]"): unknown pool nope',
    ]);
    assert.equal(explanation.pools[0]?.verdict, "not-considered");
  });

  it("a namespace the pool's selector does not match, and Manual pools not named", () => {
    const { explanation } = explain(
      {
        pools: [
          pool("red-only", { cidr: "192.0.2.0/30", blockSize: 30, namespaceSelector: "team == 'red'" }),
          pool("manual", { cidr: "198.51.100.0/30", blockSize: 30, assignmentMode: "Manual" }),
        ],
        namespaces: [{ metadata: { name: "blue", labels: { team: "blue" } } }],
        services: [service("blue/web")],
      },
      "blue/web",
    );
    assert.deepEqual(
      explanation.pools.map((p) => [p.name, p.verdict]),
      [
        ["manual", "not-considered"],
        ["red-only", "blocked"],
      ],
    );
    assert.deepEqual(explanation.unblock, [
      "pool red-only's namespaceSelector does not match namespace blue: change the selector or the namespace's labels",
    ]);
  });

  it("a Service not managed says why, and how to have it managed", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [service("ns/x", { spec: { type: "LoadBalancer", loadBalancerClass: "metallb" } })],
      },
      "ns/x",
    );
    assert.equal(explanation.managed, false);
    assert.equal(explanation.unmanagedReason, "spec.loadBalancerClass is metallb, not calico");
    assert.match(explanation.unblock[0]!, /unset spec.loadBalancerClass or set it to calico/);
  });

  it("a pending Service the controller can serve: allocate from the first pool, and check the controller", () => {
    const { explanation } = explain({ pools: [edge], services: [service("ns/new")] }, "ns/new");
    assert.deepEqual(explanation.decision.families, [{ family: 4, action: "allocate", pools: ["edge"] }]);
    assert.equal(explanation.pools[0]?.verdict, "used");
    assert.match(explanation.unblock[0]!, /check that the controller is running/);
  });
});
