import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PoolSet, parseAddress } from "@lbipam/allocator";
import {
  candidatePools,
  choosePools,
  type FamilyRequest,
  type IPPool,
  type PoolContext,
  type PoolView,
  poolStandings,
  toPoolView,
} from "../src/index.js";

function context(pools: IPPool[], serviceLabels: Record<string, string> = {}): PoolContext {
  const views = new Map<string, PoolView>(pools.map((pool) => [pool.metadata.name!, toPoolView(pool)]));
  const poolSet = new PoolSet();
  for (const view of views.values()) if (view.definition) poolSet.add(view.definition);
  return { pools: views, poolSet, namespace: "ns", namespaceLabels: {}, serviceLabels };
}

const pool = (name: string, cidr: string, extra: Partial<IPPool["spec"]> = {}, annotations = {}): IPPool => ({
  metadata: { name, annotations },
  spec: { cidr, blockSize: cidr.includes(":") ? 120 : 30, allowedUses: ["LoadBalancer"], ...extra },
});

/** name:order:why for each pool, in the order poolStandings lists them. */
function standings(c: PoolContext, request: FamilyRequest): string[] {
  return poolStandings(c, request).map(
    (s) =>
      `${s.view.name}:${s.order ?? "-"}:${s.notCandidate?.code ?? s.blocked?.reason ?? (s.full ? "full" : "ok")}`,
  );
}

describe("poolStandings: the one rule the decision chooses pools by and explain shows", () => {
  const pools = [
    pool("pods", "10.0.0.0/16", { allowedUses: ["Workload"] }),
    pool("v6", "2001:db8::/120"),
    pool("manual", "198.51.100.0/30", { assignmentMode: "Manual" }),
    pool("b-ten", "192.0.2.0/30", {}, { "lbipam.io/priority": "10" }),
    pool("c-five", "192.0.2.4/30", {}, { "lbipam.io/priority": "5" }),
    pool("a-none", "192.0.2.8/30"),
    pool("off", "192.0.2.12/30", { disabled: true }),
    pool("web", "192.0.2.16/30", {}, { "lbipam.io/service-selector": "app == 'web'" }),
    pool("bad-priority", "192.0.2.20/30", {}, { "lbipam.io/priority": "high" }),
  ];
  const c = context(pools, { app: "api" });

  it("automatic: candidates by priority (lower first, none after), then name, each with why it cannot serve; then the rest by name", () => {
    assert.deepEqual(standings(c, { family: 4 }), [
      "c-five:1:ok",
      "b-ten:2:ok",
      "a-none:3:ok",
      "bad-priority:4:PoolNotAllocatable",
      "off:5:PoolDisabled",
      "web:6:ServiceNotSelected",
      "manual:-:Manual",
      "pods:-:NotLoadBalancer",
      "v6:-:OtherFamily",
    ]);
    assert.deepEqual(choosePools(poolStandings(c, { family: 4 }), 4), {
      pools: ["c-five", "b-ten", "a-none"],
    });
  });

  it("named pools: the annotation's order, Manual ones too; the others are not named", () => {
    const views = c.pools;
    const named = [views.get("manual")!, views.get("a-none")!];
    const request = { family: 4 as const, named };
    assert.deepEqual(standings(c, request).slice(0, 3), ["manual:1:ok", "a-none:2:ok", "b-ten:-:NotNamed"]);
    assert.deepEqual(
      candidatePools(poolStandings(c, request)).map((v) => v.name),
      ["manual", "a-none"],
    );
  });

  it("an address asked for: only the pool holding it, not judged full", () => {
    const address = { ...parseAddress("192.0.2.9"), text: "192.0.2.9" };
    const rows = standings(c, { family: 4, address });
    assert.equal(rows[0], "a-none:1:ok");
    assert.ok(rows.slice(1).every((row) => /:-:(NotHoldingAddress|NotLoadBalancer|OtherFamily)$/.test(row)));
  });

  it("a full pool is said full, and the choice says PoolExhausted when every usable one is", () => {
    const small = context([pool("tiny", "192.0.2.0/32", { blockSize: 32 })]);
    small.poolSet.get("tiny")!.claim(parseAddress("192.0.2.0").value);
    assert.deepEqual(standings(small, { family: 4 }), ["tiny:1:full"]);
    const choice = choosePools(poolStandings(small, { family: 4 }), 4);
    assert.equal("reason" in choice && choice.reason, "PoolExhausted");
  });
});
