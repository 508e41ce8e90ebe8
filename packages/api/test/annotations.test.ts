import assert from "node:assert/strict";
import { it } from "node:test";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  REQUEST_ANNOTATIONS,
} from "../src/index.js";

it("names the annotations as the upstream documentation writes them", () => {
  assert.equal(ANNOTATION_IPV4_POOLS, "projectcalico.org/ipv4pools");
  assert.equal(ANNOTATION_IPV6_POOLS, "projectcalico.org/ipv6pools");
  assert.equal(ANNOTATION_LOADBALANCER_IPS, "projectcalico.org/loadBalancerIPs");
  assert.deepEqual(
    [...REQUEST_ANNOTATIONS].sort(),
    [ANNOTATION_IPV4_POOLS, ANNOTATION_IPV6_POOLS, ANNOTATION_LOADBALANCER_IPS].sort(),
  );
});
