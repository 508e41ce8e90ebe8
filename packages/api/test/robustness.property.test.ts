// "The controller never crashes on input": whatever users write, parsing and
// deciding answer instead of throwing (selectors throw only their own error).
import assert from "node:assert/strict";
import { it } from "node:test";
import { PoolSet } from "@lbipam/allocator";
import fc from "fast-check";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  ANNOTATION_SHARING_CROSS_NAMESPACE,
  ANNOTATION_SHARING_KEY,
  decide,
  type IPPool,
  type KubeControllersConfiguration,
  parseSelector,
  readLoadBalancerConfig,
  SelectorSyntaxError,
  type Service,
  toPoolView,
} from "../src/index.js";

const SELECTOR_PIECES = [
  "a",
  "b",
  "==",
  "!=",
  "'x'",
  '"y"',
  "in",
  "not",
  "{",
  "}",
  ",",
  "(",
  ")",
  "!",
  "&&",
  "||",
];
const selectorText = fc.oneof(
  fc.string(),
  fc
    .array(fc.constantFrom(...SELECTOR_PIECES, "has(a)", "all()", "contains", "starts with"), {
      maxLength: 12,
    })
    .map((parts) => parts.join(" ")),
);

it("parseSelector either matches or throws SelectorSyntaxError", () => {
  fc.assert(
    fc.property(
      selectorText,
      fc.dictionary(fc.constantFrom("a", "b"), fc.constantFrom("x", "y")),
      (text, labels) => {
        try {
          assert.equal(typeof parseSelector(text)(labels), "boolean");
        } catch (error) {
          assert.ok(error instanceof SelectorSyntaxError, String(error));
        }
      },
    ),
    { numRuns: 2000 },
  );
});

const annotationValue = fc.oneof(fc.string(), fc.json(), fc.constant('["10.0.0.1"]'), fc.constant('["p"]'));

it("decide answers for any annotations, families, classes and statuses", () => {
  const pools = new Map([
    [
      "p",
      toPoolView({
        metadata: { name: "p" },
        spec: { cidr: "10.0.0.0/30", blockSize: 30, allowedUses: ["LoadBalancer"] },
      }),
    ],
  ]);
  const poolSet = new PoolSet();
  poolSet.add(pools.get("p")!.definition!);
  fc.assert(
    fc.property(
      fc.record({
        annotations: fc.dictionary(
          fc.constantFrom(
            ANNOTATION_IPV4_POOLS,
            ANNOTATION_IPV6_POOLS,
            ANNOTATION_LOADBALANCER_IPS,
            ANNOTATION_SHARING_KEY,
            ANNOTATION_SHARING_CROSS_NAMESPACE,
            "other",
          ),
          annotationValue,
        ),
        ipFamilies: fc.array(fc.constantFrom("IPv4", "IPv6", "IPv5", "constructor")),
        ipFamilyPolicy: fc.constantFrom(
          undefined,
          "SingleStack",
          "PreferDualStack",
          "RequireDualStack",
          "Odd",
        ),
        loadBalancerIP: fc.option(fc.string(), { nil: undefined }),
        loadBalancerClass: fc.option(fc.string(), { nil: undefined }),
        ingress: fc.array(
          fc.record({ ip: fc.option(fc.oneof(fc.string(), fc.constant("10.0.0.1")), { nil: undefined }) }),
        ),
      }),
      (spec) => {
        const service = {
          metadata: { namespace: "ns", name: "s", annotations: spec.annotations },
          spec: {
            type: "LoadBalancer",
            ipFamilies: spec.ipFamilies,
            ipFamilyPolicy: spec.ipFamilyPolicy,
            loadBalancerIP: spec.loadBalancerIP,
            loadBalancerClass: spec.loadBalancerClass,
          },
          status: { loadBalancer: { ingress: spec.ingress } },
        } as Service;
        const decision = decide({
          service,
          namespaceLabels: {},
          pools,
          poolSet,
          config: { assignIPs: "AllServices", loadBalancerClass: "calico" },
          holderOf: () => undefined,
          sharing: { membersOf: () => [], addressesOfKey: () => [], profileOf: () => undefined },
        });
        assert.equal(decision.key, "ns/s");
        for (const family of decision.families) assert.ok(family.family === 4 || family.family === 6);
      },
    ),
    { numRuns: 1000 },
  );
});

const POOL_FIELDS = [
  "cidr",
  "blockSize",
  "allowedUses",
  "assignmentMode",
  "disabled",
  "namespaceSelector",
  "nodeSelector",
  "ipipMode",
  "vxlanMode",
  "disableBGPExport",
];
const poolSpec = fc.record(Object.fromEntries(POOL_FIELDS.map((field) => [field, fc.anything()])), {
  requiredKeys: [],
});

it("toPoolView and readLoadBalancerConfig answer for any spec", () => {
  fc.assert(
    fc.property(poolSpec, fc.anything(), (spec, loadBalancer) => {
      const pool = toPoolView({ metadata: { name: "p" }, spec } as unknown as IPPool);
      assert.equal(pool.name, "p");
      const kcc = { metadata: {}, spec: { controllers: { loadBalancer } } } as KubeControllersConfiguration;
      assert.ok(["AllServices", "RequestedServicesOnly"].includes(readLoadBalancerConfig(kcc).assignIPs));
    }),
    { numRuns: 1000 },
  );
});
