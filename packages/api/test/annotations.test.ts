import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  FIELD_LOADBALANCER_IP,
  parseServiceRequest,
  REQUEST_ANNOTATIONS,
  type Service,
} from "../src/index.js";

function service(annotations: Record<string, string>, loadBalancerIP?: string): Service {
  return {
    metadata: { namespace: "ns", name: "s", annotations },
    spec: { type: "LoadBalancer", ...(loadBalancerIP === undefined ? {} : { loadBalancerIP }) },
  };
}

it("names the annotations as the upstream documentation writes them", () => {
  assert.equal(ANNOTATION_IPV4_POOLS, "projectcalico.org/ipv4pools");
  assert.equal(ANNOTATION_IPV6_POOLS, "projectcalico.org/ipv6pools");
  assert.equal(ANNOTATION_LOADBALANCER_IPS, "projectcalico.org/loadBalancerIPs");
  assert.deepEqual(
    [...REQUEST_ANNOTATIONS].sort(),
    [ANNOTATION_IPV4_POOLS, ANNOTATION_IPV6_POOLS, ANNOTATION_LOADBALANCER_IPS].sort(),
  );
});

describe("parseServiceRequest", () => {
  it("reads pools per family in order, without repeats", () => {
    const request = parseServiceRequest(
      service({ [ANNOTATION_IPV4_POOLS]: '["b", "a", "b"]', [ANNOTATION_IPV6_POOLS]: '["2001:db8::/120"]' }),
    );
    assert.deepEqual(request.pools, { 4: ["b", "a"], 6: ["2001:db8::/120"] });
    assert.deepEqual(request.problems, []);
    assert.equal(request.asks, true);
  });

  it("reads one address per family, canonical", () => {
    const request = parseServiceRequest(
      service({ [ANNOTATION_LOADBALANCER_IPS]: '["2001:DB8:0::1", "10.0.0.1"]' }, "10.9.9.9"),
    );
    assert.equal(request.addresses[4]?.text, "10.0.0.1");
    assert.equal(request.addresses[6]?.text, "2001:db8::1");
    assert.equal(request.addresses[6]?.source, ANNOTATION_LOADBALANCER_IPS);
  });

  it("reads spec.loadBalancerIP only when loadBalancerIPs asks for nothing", () => {
    const cases: Record<string, string>[] = [
      {},
      { [ANNOTATION_LOADBALANCER_IPS]: "" },
      { [ANNOTATION_LOADBALANCER_IPS]: "[]" },
    ];
    for (const annotations of cases) {
      const request = parseServiceRequest(service(annotations, "10.0.0.7"));
      assert.equal(request.addresses[4]?.text, "10.0.0.7");
      assert.equal(request.addresses[4]?.source, FIELD_LOADBALANCER_IP);
      assert.equal(request.asks, true);
    }
  });

  it("treats blank values and empty arrays as not asking", () => {
    const request = parseServiceRequest(
      service(
        { [ANNOTATION_IPV4_POOLS]: "", [ANNOTATION_IPV6_POOLS]: "[]", [ANNOTATION_LOADBALANCER_IPS]: "  " },
        "",
      ),
    );
    assert.deepEqual(request, { pools: {}, addresses: {}, asks: false, problems: [] });
    assert.equal(parseServiceRequest(service({ [ANNOTATION_IPV6_POOLS]: "[1]" })).asks, true);
  });

  // [annotation, value, reason]
  const malformed: [string, string, RegExp][] = [
    [ANNOTATION_IPV4_POOLS, "pool-a", /not valid JSON/],
    [ANNOTATION_IPV4_POOLS, '{"a": 1}', /must be a JSON array of strings/],
    [ANNOTATION_IPV6_POOLS, '"pool-a"', /must be a JSON array of strings/],
    [ANNOTATION_IPV4_POOLS, '["a", 2]', /entry 1 is not a string: 2/],
    [ANNOTATION_IPV4_POOLS, '["a", null]', /entry 1 is not a string: null/],
    [ANNOTATION_IPV4_POOLS, '[""]', /entry 0 is an empty string/],
    [ANNOTATION_LOADBALANCER_IPS, "10.0.0.1", /not valid JSON/],
    [ANNOTATION_LOADBALANCER_IPS, '[" "]', /entry 0 is an empty string/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.256"]', /invalid IP address "10.0.0.256"/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.1"]', /four decimal octets/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.0/24"]', /not an IPv4 or IPv6 address/],
    [ANNOTATION_LOADBALANCER_IPS, '["fe80::1%eth0"]', /zone identifiers/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.1", "10.0.0.2"]', /two IPv4 addresses \(10.0.0.1, 10.0.0.2\)/],
    [ANNOTATION_LOADBALANCER_IPS, '["2001:db8::1", "2001:db8::2"]', /two IPv6 addresses/],
  ];
  for (const [annotation, value, reason] of malformed) {
    it(`reports ${annotation} ${value}`, () => {
      const request = parseServiceRequest(service({ [annotation]: value }));
      assert.equal(request.problems.length, 1);
      const [problem] = request.problems;
      assert.equal(problem?.annotation, annotation);
      assert.equal(problem?.value, value);
      assert.match(problem!.reason, reason);
      assert.ok(problem!.message.includes(annotation) && problem!.message.includes(JSON.stringify(value)));
      assert.ok(problem!.message.includes(problem!.reason));
      assert.equal(request.asks, true);
    });
  }

  it("reports a bad spec.loadBalancerIP under the field's name", () => {
    const [problem] = parseServiceRequest(service({}, "not-an-ip")).problems;
    assert.equal(problem?.annotation, FIELD_LOADBALANCER_IP);
    assert.equal(problem?.value, "not-an-ip");
  });

  it("never throws on odd objects", () => {
    assert.doesNotThrow(() => parseServiceRequest({ metadata: {} }));
    assert.doesNotThrow(() => parseServiceRequest(service({ [ANNOTATION_IPV4_POOLS]: "[[[[" })));
  });
});
