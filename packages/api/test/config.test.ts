import assert from "node:assert/strict";
import { it } from "node:test";
import { type KubeControllersConfiguration, readLoadBalancerConfig } from "../src/index.js";

const kcc = (loadBalancer: Record<string, unknown> | undefined): KubeControllersConfiguration => ({
  metadata: { name: "default" },
  spec: { controllers: loadBalancer === undefined ? {} : { loadBalancer } },
});

// [case, object, assignIPs, number of problems]
const cases: [string, KubeControllersConfiguration | undefined, string, number][] = [
  ["absent object", undefined, "AllServices", 0],
  ["no spec", { metadata: { name: "default" } }, "AllServices", 0],
  ["absent section", kcc(undefined), "AllServices", 0],
  ["empty section", kcc({}), "AllServices", 0],
  ["assignIPs", kcc({ assignIPs: "RequestedServicesOnly" }), "RequestedServicesOnly", 0],
  [
    "AssignIPs as the upstream docs write it",
    kcc({ AssignIPs: "RequestedServicesOnly" }),
    "RequestedServicesOnly",
    0,
  ],
  ["any case", kcc({ ASSIGNIPS: "AllServices" }), "AllServices", 0],
  [
    "two spellings that agree",
    kcc({ assignIPs: "RequestedServicesOnly", AssignIPs: "RequestedServicesOnly" }),
    "RequestedServicesOnly",
    0,
  ],
  [
    "two spellings that disagree",
    kcc({ assignIPs: "RequestedServicesOnly", AssignIPs: "AllServices" }),
    "AllServices",
    1,
  ],
  ["unknown value", kcc({ assignIPs: "Some" }), "AllServices", 1],
  ["values are case-sensitive", kcc({ assignIPs: "requestedservicesonly" }), "AllServices", 1],
  ["not a string", kcc({ assignIPs: 3 }), "AllServices", 1],
];

for (const [name, object, assignIPs, problems] of cases) {
  it(`${name}: ${assignIPs}`, () => {
    const config = readLoadBalancerConfig(object);
    assert.equal(config.assignIPs, assignIPs);
    assert.equal(config.problems.length, problems, config.problems.join("; "));
    for (const problem of config.problems)
      assert.match(problem, /spec\.controllers\.loadBalancer.*using AllServices/);
  });
}
