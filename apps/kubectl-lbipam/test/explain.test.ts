import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide } from "@lbipam/api";
import { explainService, renderExplanation } from "../src/explain.js";
import { buildState, decisionInput } from "../src/state.js";
import { fixtureObjects, objects, pool, service } from "./helpers/fixtures.js";

const edge = pool("edge", { cidr: "192.0.2.0/31", blockSize: 31 });
const spare = pool("spare", { cidr: "198.51.100.0/31", blockSize: 31, disabled: true });

function explain(parts: Parameters<typeof objects>[0], key: string) {
  const all = objects(parts);
  const state = buildState(all);
  const target = all.services.find((s) => `${s.metadata.namespace}/${s.metadata.name}` === key)!;
  return { explanation: explainService(state, target), state, target };
}

describe("explain", () => {
  it("shows an address another controller's Service shows as held for it, and as taken to a Service asking for it", () => {
    const parts = {
      pools: [edge],
      services: [
        service("ns/theirs", {
          spec: { type: "LoadBalancer", loadBalancerClass: "other" },
          ingress: ["192.0.2.0"],
        }),
        service("ns/asks", { annotations: { "projectcalico.org/loadBalancerIPs": '["192.0.2.0"]' } }),
      ],
    };
    const theirs = explain(parts, "ns/theirs").explanation;
    assert.deepEqual(theirs.heldForIt, ["192.0.2.0"]);
    assert.deepEqual(theirs.decision.release, [], "nothing of it is released");
    assert.match(renderExplanation(theirs), /held for it: 192\.0\.2\.0/);
    const asks = explain(parts, "ns/asks").explanation;
    assert.equal(asks.decision.condition?.reason, "RequestedIPInUse");
    assert.match(asks.decision.condition?.message ?? "", /held by Service ns\/theirs/);
  });

  it("shows the sharing key and who shares each address, from the statuses as the controller rebuilds them", () => {
    const key = { "lbipam.io/sharing-key": "dns" };
    const parts = {
      pools: [edge],
      services: [
        service("ns/tcp", {
          annotations: key,
          spec: { type: "LoadBalancer", ports: [{ port: 53 }] },
          ingress: ["192.0.2.0"],
        }),
        service("ns/udp", {
          annotations: key,
          spec: { type: "LoadBalancer", ports: [{ port: 53, protocol: "UDP" }] },
          ingress: ["192.0.2.0"],
        }),
      ],
    };
    const { explanation } = explain(parts, "ns/udp");
    assert.deepEqual(explanation.sharing, {
      key: "dns",
      addresses: [{ address: "192.0.2.0", members: ["ns/tcp"] }],
    });
    assert.deepEqual(
      explanation.decision.families.map((f) => f.action),
      ["keep"],
    );
    assert.match(renderExplanation(explanation), /sharing key "dns": 192\.0\.2\.0 with ns\/tcp/);
    assert.equal(
      explain({ pools: [edge], services: [service("ns/plain", {})] }, "ns/plain").explanation.sharing,
      null,
    );
  });

  it("shows a huge pool's free count as the exact integer (it printed 1.329227995784916e+36), a string in JSON", () => {
    const huge = pool("huge", { cidr: "3000::/8" });
    const { explanation } = explain(
      {
        pools: [huge],
        services: [service("ns/v6", { spec: { type: "LoadBalancer", ipFamilies: ["IPv6"] } })],
      },
      "ns/v6",
    );
    const exact = String(2n ** 120n);
    assert.equal(explanation.pools[0]!.free, exact);
    assert.match(
      renderExplanation(explanation),
      new RegExp(`^ {2}huge +IPv6 +3000::/8 +Automatic +- +1 +${exact} `, "m"),
    );
    assert.match(JSON.stringify(explanation), new RegExp(`"free":"${exact}"`));
  });

  describe("every pool, whether it is a candidate and why, from the decision's own poolStandings", () => {
    const choice = [
      pool("workloads", { cidr: "10.0.0.0/16", allowedUses: ["Workload"] }),
      pool("v6", { cidr: "2001:db8::/120" }),
      pool("manual", { cidr: "198.51.100.0/30", blockSize: 30, assignmentMode: "Manual" }),
      pool("low", { cidr: "192.0.2.0/31", blockSize: 31 }, { "lbipam.io/priority": "5" }),
      pool("high", { cidr: "192.0.2.8/30", blockSize: 30 }, { "lbipam.io/priority": "10" }),
      pool("off", { cidr: "192.0.2.16/30", blockSize: 30, disabled: true }),
      pool("plain", { cidr: "192.0.2.32/30", blockSize: 30 }),
      pool(
        "web-only",
        { cidr: "192.0.2.64/30", blockSize: 30 },
        { "lbipam.io/service-selector": "app == 'web'" },
      ),
    ];
    const holders = [
      service("ns/a", { ingress: ["192.0.2.0"] }),
      service("ns/b", { ingress: ["192.0.2.1"] }),
    ];
    const row = (p: ReturnType<typeof explainService>["pools"][number]) =>
      [p.name, p.candidate, p.order, p.priority, p.verdict, p.reason ?? null].join(" ");

    it("automatic: by priority (none last), then name; full, disabled, not selected, Manual, other family, not LoadBalancer", () => {
      const { explanation, state, target } = explain(
        { pools: choice, services: [...holders, service("ns/api", { labels: { app: "api" } })] },
        "ns/api",
      );
      assert.deepEqual(explanation.pools.map(row), [
        "high true 2 10 used ",
        "low false 1 5 full PoolExhausted",
        "manual false   not-considered Manual",
        "off false 3  blocked PoolDisabled",
        "plain true 4  candidate ",
        "v6 false   not-considered OtherFamily",
        "web-only false 5  blocked ServiceNotSelected",
        "workloads false   not-considered NotLoadBalancer",
      ]);
      // The pool explain says is used is the one the decision allocates from, in the decision's order.
      assert.deepEqual(decide(decisionInput(state, target)).families, [
        { family: 4, action: "allocate", pools: ["high", "plain"] },
      ]);
      const why = Object.fromEntries(explanation.pools.map((p) => [p.name, p.why]));
      assert.equal(why.high, "first with a free address (order 2, lbipam.io/priority 10): allocates from it");
      assert.equal(why.plain, "order 4, no lbipam.io/priority: used once high is full");
      assert.equal(
        why["web-only"],
        `pool web-only does not select this Service (lbipam.io/service-selector "app == 'web'")`,
      );
      assert.match(why.manual!, /^assignmentMode Manual: serves only Services that name it/);
      const text = renderExplanation(explanation);
      assert.match(text, /^ {2}NAME +FAMILY +CIDR +MODE +PRIORITY +ORDER +FREE +VERDICT +WHY$/m);
      assert.match(
        text,
        /^ {2}high +IPv4 +192\.0\.2\.8\/30 +Automatic +10 +2 +4 +used +first with a free address/m,
      );
      assert.match(text, /^ {2}low +IPv4 +192\.0\.2\.0\/31 +Automatic +5 +1 +0 +full +no free address/m);
      assert.match(
        text,
        /^ {2}workloads +IPv4 +10\.0\.0\.0\/16 +Automatic +- +- +\d+ +not-considered +spec\.allowedUses has no LoadBalancer$/m,
      );
      assert.match(JSON.stringify(explanation.pools[0]), /"priority":10,"order":2,"candidate":true/);
    });

    it("pools named by the annotation: in its order, a Manual one too; the others are not named", () => {
      const { explanation } = explain(
        {
          pools: choice,
          services: [
            service("ns/named", { annotations: { "projectcalico.org/ipv4pools": '["plain","manual"]' } }),
          ],
        },
        "ns/named",
      );
      assert.deepEqual(explanation.pools.filter((p) => p.order !== null).map(row), [
        "manual true 2  candidate ",
        "plain true 1  used ",
      ]);
      const others = explanation.pools.filter(
        (p) => p.order === null && p.family === "IPv4" && p.cidr !== "10.0.0.0/16",
      );
      assert.deepEqual([...new Set(others.map((p) => p.reason))], ["NotNamed"]);
    });

    it("an address asked for: only its pool, no fallback", () => {
      const { explanation } = explain(
        {
          pools: choice,
          services: [
            service("ns/pinned", { annotations: { "projectcalico.org/loadBalancerIPs": '["192.0.2.33"]' } }),
          ],
        },
        "ns/pinned",
      );
      const rows = explanation.pools.filter((p) => p.family === "IPv4" && p.reason !== "NotLoadBalancer");
      assert.deepEqual(
        rows.map((p) => [p.name, p.verdict, p.reason ?? p.why]),
        [
          ["high", "not-considered", "NotHoldingAddress"],
          ["low", "not-considered", "NotHoldingAddress"],
          ["manual", "not-considered", "NotHoldingAddress"],
          ["off", "not-considered", "NotHoldingAddress"],
          ["plain", "used", "would claim 192.0.2.33"],
          ["web-only", "not-considered", "NotHoldingAddress"],
        ],
      );
    });

    it("a Service no pool selects waits ServiceNotSelected, and the hint names the selector's pool", () => {
      const only = choice.filter((p) => p.metadata.name === "web-only");
      const api = explain(
        { pools: only, services: [service("ns/api", { labels: { app: "api" } })] },
        "ns/api",
      );
      assert.equal(api.explanation.decision.condition?.reason, "ServiceNotSelected");
      assert.deepEqual(api.explanation.unblock, [
        "pool web-only's lbipam.io/service-selector does not select the Service: change the selector or the Service's labels",
      ]);
      const web = explain(
        { pools: only, services: [service("ns/web", { labels: { app: "web" } })] },
        "ns/web",
      );
      assert.deepEqual(web.explanation.pools.map(row), ["web-only true 1  used "]);
    });
  });

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
        services: [service("ns/bad", { annotations: { "projectcalico.org/ipv6pools": '["edge"]' } })],
      },
      "ns/bad",
    );
    assert.deepEqual(explanation.request.problems, [
      {
        annotation: "projectcalico.org/ipv6pools",
        value: '["edge"]',
        reason: 'pool "edge" is IPv4, not IPv6',
      },
    ]);
    assert.deepEqual(explanation.unblock, [
      'fix projectcalico.org/ipv6pools ("[\\"edge\\"]"): pool "edge" is IPv4, not IPv6',
    ]);
  });

  it("a pool annotation naming a pool that does not exist: create it or name another", () => {
    const { explanation } = explain(
      {
        pools: [edge],
        services: [service("ns/wait", { annotations: { "projectcalico.org/ipv4pools": '["nope"]' } })],
      },
      "ns/wait",
    );
    assert.deepEqual(explanation.request.problems, []);
    assert.equal(explanation.decision.families[0]?.action, "wait");
    assert.deepEqual(explanation.unblock, [
      'create the pool projectcalico.org/ipv4pools names, or name an existing IPv4 pool (projectcalico.org/ipv4pools: no pool named "nope")',
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
    assert.equal(explanation.unmanagedCode, "OtherClass");
    // The class is immutable: the hint is to recreate the Service, not to edit it.
    assert.match(
      explanation.unblock[0]!,
      /recreate the Service without spec.loadBalancerClass \(or with calico\)/,
    );
  });

  it("hints by the reason's code, never its wording, and only actions that work on an existing Service", () => {
    const cases: [Parameters<typeof service>[1], Partial<Parameters<typeof objects>[0]>, RegExp][] = [
      [{ spec: { type: "NodePort" } }, {}, /set spec.type: LoadBalancer/],
      [
        {},
        {
          configuration: {
            apiVersion: "projectcalico.org/v3",
            kind: "KubeControllersConfiguration",
            metadata: { name: "default" },
            spec: { controllers: { loadBalancer: { assignIPs: "RequestedServicesOnly" } } },
          },
        },
        /add a projectcalico.org\/ipv4pools, ipv6pools or loadBalancerIPs annotation, or switch/,
      ],
    ];
    for (const [options, extra, hint] of cases) {
      const { explanation } = explain(
        { pools: [edge], services: [service("ns/x", options)], ...extra },
        "ns/x",
      );
      assert.equal(explanation.managed, false);
      assert.equal(explanation.unblock.length, 1);
      assert.match(explanation.unblock[0]!, hint);
      assert.doesNotMatch(explanation.unblock[0]!, /set spec.loadBalancerClass/);
    }
  });

  it("a pending Service the controller can serve: allocate from the first pool, and check the controller", () => {
    const { explanation } = explain({ pools: [edge], services: [service("ns/new")] }, "ns/new");
    assert.deepEqual(explanation.decision.families, [{ family: 4, action: "allocate", pools: ["edge"] }]);
    assert.equal(explanation.pools[0]?.verdict, "used");
    assert.match(explanation.unblock[0]!, /check that the controller is running/);
  });
});

describe("explain in a Calico cluster", () => {
  it("says what Calico's IPAM blocks record for the Service, and decides to give it back when its status lost it", () => {
    const all = fixtureObjects("calico/v1.yaml");
    const state = buildState(all);
    const unshown = all.services.find((s) => s.metadata.name === "unshown")!;
    const explanation = explainService(state, unshown);
    assert.deepEqual(explanation.calicoRecorded, [
      { address: "10.80.0.2", block: "10-80-0-0-29", forThisService: true },
    ]);
    assert.deepEqual(
      explanation.decision.families.map((f) => `${f.action} ${"address" in f ? f.address : ""}`),
      ["claim 10.80.0.2"],
    );
    assert.match(
      renderExplanation(explanation),
      /recorded by Calico: 10\.80\.0\.2 for this Service, in IPAM block 10-80-0-0-29/,
    );
    // The same name created again (another UID): the record is an earlier Service's.
    const again = { ...unshown, metadata: { ...unshown.metadata, uid: "another" } };
    const other = explainService(state, again);
    assert.equal(other.calicoRecorded[0]?.forThisService, false);
    assert.deepEqual(
      other.decision.families.map((f) => `${f.action} ${"address" in f ? f.address : ""}`),
      ["allocate "],
    );
  });
});
