import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  FIELD_LOADBALANCER_IP,
  misspelledAnnotations,
  misspelledMessage,
  parseServiceRequest,
  REQUEST_ANNOTATIONS,
  type Service,
  shorten,
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
    assert.deepEqual(request, { pools: {}, addresses: {}, asks: false, problems: [], misspelled: [] });
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
    // Nested 8,000 deep (under the 16 KiB read at all): described, not printed, which overflowed the stack.
    [
      ANNOTATION_IPV4_POOLS,
      `${"[".repeat(8000)}${"]".repeat(8000)}`,
      /entry 0 is not a string: an array of 1/,
    ],
    [ANNOTATION_IPV4_POOLS, '[{"a": 1}]', /entry 0 is not a string: an object/],
    [ANNOTATION_LOADBALANCER_IPS, "10.0.0.1", /not valid JSON/],
    [ANNOTATION_LOADBALANCER_IPS, '[" "]', /entry 0 is an empty string/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.256"]', /invalid IP address "10.0.0.256"/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.1"]', /four decimal octets/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.0/24"]', /not an IPv4 or IPv6 address/],
    [ANNOTATION_LOADBALANCER_IPS, '["fe80::1%eth0"]', /zone identifiers/],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.1", "10.0.0.2"]', /two IPv4 addresses \(10.0.0.1, 10.0.0.2\)/],
    [ANNOTATION_LOADBALANCER_IPS, '["2001:db8::1", "2001:db8::2"]', /two IPv6 addresses/],
    // The same address twice is refused in any spelling (#11: the exact repeat was accepted).
    [ANNOTATION_LOADBALANCER_IPS, '["10.50.0.100", "10.50.0.100"]', /the same address twice \(10.50.0.100\)/],
    [
      ANNOTATION_LOADBALANCER_IPS,
      '["2001:db8::1", "2001:DB8:0::1"]',
      /the same address twice \(2001:db8::1\)/,
    ],
    [ANNOTATION_LOADBALANCER_IPS, '["10.0.0.1", "2001:db8::1", "10.0.0.2"]', /lists 3 entries; at most 2/],
    [
      ANNOTATION_IPV4_POOLS,
      JSON.stringify(Array.from({ length: 33 }, (_, i) => `p${i}`)),
      /lists 33 entries; at most 32/,
    ],
  ];
  for (const [annotation, value, reason] of malformed) {
    it(`reports ${annotation} ${value.slice(0, 64)}`, () => {
      const request = parseServiceRequest(service({ [annotation]: value }));
      assert.equal(request.problems.length, 1);
      const [problem] = request.problems;
      assert.equal(problem?.annotation, annotation);
      assert.equal(problem?.value, shorten(value));
      assert.match(problem!.reason, reason);
      assert.ok(
        problem!.message.includes(annotation) && problem!.message.includes(JSON.stringify(shorten(value))),
      );
      assert.ok(problem!.message.includes(problem!.reason));
      assert.equal(request.asks, true);
    });
  }

  it("reports a bad spec.loadBalancerIP under the field's name", () => {
    const [problem] = parseServiceRequest(service({}, "not-an-ip")).problems;
    assert.equal(problem?.annotation, FIELD_LOADBALANCER_IP);
    assert.equal(problem?.value, "not-an-ip");
  });

  it("does not parse a value past 16 KiB, and quotes it shortened", () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `no-such-pool-${i}`);
    const value = JSON.stringify(names);
    const request = parseServiceRequest(service({ [ANNOTATION_IPV4_POOLS]: value }));
    assert.equal(request.problems.length, 1);
    const [problem] = request.problems;
    assert.match(
      problem!.reason,
      new RegExp(`the value is ${Buffer.byteLength(value)} bytes; values past 16 KiB are not read`),
    );
    assert.equal(problem!.value, `${value.slice(0, 64)}...`);
    assert.ok(problem!.message.length < 300, problem!.message);
    assert.deepEqual(request.pools, {});
  });

  it("counts the value's UTF-8 bytes, not its characters", () => {
    const value = JSON.stringify(["\u00e9".repeat(9000)]);
    assert.ok(value.length < 16 * 1024 && Buffer.byteLength(value) > 16 * 1024);
    const [problem] = parseServiceRequest(service({ [ANNOTATION_IPV4_POOLS]: value })).problems;
    assert.match(problem!.reason, /past 16 KiB/);
  });

  it("never throws on odd objects", () => {
    assert.doesNotThrow(() => parseServiceRequest({ metadata: {} }));
    assert.doesNotThrow(() => parseServiceRequest(service({ [ANNOTATION_IPV4_POOLS]: "[[[[" })));
  });
});

describe("misspelledAnnotations", () => {
  // [key written, key meant]: one letter-case change or one edit away (#11: these were ignored silently).
  const typos: [string, string][] = [
    ["projectcalico.org/loadBalancerIps", ANNOTATION_LOADBALANCER_IPS],
    ["projectcalico.org/loadbalancerips", ANNOTATION_LOADBALANCER_IPS],
    ["projectcalico.org/loadBalancerIP", ANNOTATION_LOADBALANCER_IPS],
    ["projectcalico.org/ipv4pool", ANNOTATION_IPV4_POOLS],
    ["projectcalico.org/ipv4poolss", ANNOTATION_IPV4_POOLS],
    ["projectcalico.org/ipv6poosl", ANNOTATION_IPV6_POOLS],
    ["projectcalico.org/ipv6-pools", ANNOTATION_IPV6_POOLS],
    ["projectcalico.org/IPv4Pools", ANNOTATION_IPV4_POOLS],
  ];
  for (const [key, meant] of typos) {
    it(`reads ${key} as a typo of ${meant}, and as absent`, () => {
      const request = parseServiceRequest(service({ [key]: '["10.0.0.1"]' }));
      assert.deepEqual(request.misspelled, [{ key, meant }]);
      assert.equal(request.asks, false);
      assert.deepEqual(request.pools, {});
      assert.deepEqual(request.addresses, {});
      assert.equal(
        misspelledMessage(request.misspelled[0]!),
        `annotation "${key}" is not read: did you mean ${meant}?`,
      );
    });
  }

  it("leaves our own keys and unrelated keys alone", () => {
    const annotations = {
      [ANNOTATION_IPV4_POOLS]: '["a"]',
      "projectcalico.org/ipv4pools-x": "",
      "metallb.universe.tf/loadBalancerIPs": "10.0.0.1",
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
    };
    assert.deepEqual(misspelledAnnotations(annotations), []);
  });

  it("names at most three, however many keys a Service has", () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) annotations[`example.com/key-${i}`] = "";
    for (const key of [
      "projectcalico.org/ipv4Pools",
      "projectcalico.org/ipv6Pools",
      "projectcalico.org/ipv4pool",
      "projectcalico.org/ipv6pool",
    ])
      annotations[key] = "";
    assert.equal(misspelledAnnotations(annotations).length, 3);
  });
});
