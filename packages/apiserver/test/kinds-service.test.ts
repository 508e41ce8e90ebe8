import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createCidrAllocator,
  createDefaultServiceAllocators,
  createPortAllocator,
  createService,
  releaseService,
  type Service,
  type ServiceAllocators,
  type ServiceWriteResult,
  updateService,
  updateServiceStatus,
} from "../src/kinds/index.js";
import { causeText } from "../src/validation/index.js";

// random() = 0 makes every allocator take the first free value of its upper band.
const allocators = () => createDefaultServiceAllocators(() => 0);

function svc(spec: Record<string, unknown>, name = "web"): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec };
}

function ok(result: ServiceWriteResult): Service {
  if (!result.ok)
    assert.fail(
      `write failed: ${result.status} ${result.message} ${result.causes.map(causeText).join("; ")}`,
    );
  result.commit();
  return result.service;
}

function failure(result: ServiceWriteResult): string[] {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.causes.map(causeText);
}

const ports80 = [{ port: 80 }];

describe("createService defaults", () => {
  it("defaults a ClusterIP Service as kube-apiserver does", () => {
    const created = ok(createService(svc({ ports: ports80, selector: { app: "web" } }), allocators()));
    assert.deepEqual(created.spec, {
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      selector: { app: "web" },
      sessionAffinity: "None",
      type: "ClusterIP",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
      clusterIPs: ["10.96.1.1"],
      clusterIP: "10.96.1.1",
    });
    assert.deepEqual(created.status, { loadBalancer: {} });
  });

  it("gives LoadBalancer Services node ports and traffic policies", () => {
    const created = ok(
      createService(
        svc({
          type: "LoadBalancer",
          ports: [{ port: 80 }, { port: 443 }].map((p, i) => ({ ...p, name: `p${i}` })),
        }),
        allocators(),
      ),
    );
    assert.deepEqual(
      created.spec?.ports?.map((p) => p.nodePort),
      [30173, 30174],
    );
    assert.equal(created.spec?.externalTrafficPolicy, "Cluster");
    assert.equal(created.spec?.allocateLoadBalancerNodePorts, true);
  });

  it("gives ports of the same number one node port, as kube does for TCP and UDP", () => {
    const created = ok(
      createService(
        svc({
          type: "NodePort",
          ports: [
            { name: "dns-tcp", port: 53 },
            { name: "dns-udp", port: 53, protocol: "UDP" },
            { name: "web", port: 80 },
          ],
        }),
        allocators(),
      ),
    );
    assert.deepEqual(
      created.spec?.ports?.map((p) => p.nodePort),
      [30173, 30173, 30174],
    );
  });

  it("allocates no node ports when allocateLoadBalancerNodePorts is false, but honours explicit ones", () => {
    const created = ok(
      createService(
        svc({
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          ports: [
            { name: "a", port: 80 },
            { name: "b", port: 81, nodePort: 31000 },
          ],
        }),
        allocators(),
      ),
    );
    assert.deepEqual(
      created.spec?.ports?.map((p) => p.nodePort),
      [undefined, 31000],
    );
  });

  it("allocates one address per family for dual-stack policies, IPv4 first", () => {
    const prefer = ok(
      createService(svc({ ipFamilyPolicy: "PreferDualStack", ports: ports80 }), allocators()),
    );
    assert.deepEqual(prefer.spec?.ipFamilies, ["IPv4", "IPv6"]);
    assert.deepEqual(prefer.spec?.clusterIPs, ["10.96.1.1", "fd00:10:96::101"]);
    const v6 = ok(createService(svc({ ipFamilies: ["IPv6"], ports: ports80 }), allocators()));
    assert.deepEqual(v6.spec?.clusterIPs, ["fd00:10:96::101"]);
    assert.equal(v6.spec?.ipFamilyPolicy, "SingleStack");
  });

  it("refuses RequireDualStack on a single-stack cluster", () => {
    const single: ServiceAllocators = {
      ips: { IPv4: createCidrAllocator("10.0.0.0/24", () => 0) },
      primaryFamily: "IPv4",
      nodePorts: createPortAllocator(30000, 32767, () => 0),
    };
    assert.deepEqual(
      failure(createService(svc({ ipFamilyPolicy: "RequireDualStack", ports: ports80 }), single)),
      [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
    );
  });

  it("keeps headless Services without an address; selectorless ones default to dual-stack", () => {
    const selectorless = ok(createService(svc({ clusterIP: "None", ports: ports80 }), allocators()));
    assert.equal(selectorless.spec?.clusterIP, "None");
    assert.deepEqual(selectorless.spec?.clusterIPs, ["None"]);
    assert.equal(selectorless.spec?.ipFamilyPolicy, "RequireDualStack");
    assert.deepEqual(selectorless.spec?.ipFamilies, ["IPv4", "IPv6"]);
    const selected = ok(
      createService(svc({ clusterIP: "None", selector: { a: "b" }, ports: ports80 }), allocators()),
    );
    assert.equal(selected.spec?.ipFamilyPolicy, "SingleStack");
    assert.deepEqual(selected.spec?.ipFamilies, ["IPv4"]);
  });

  it("refuses two addresses under SingleStack", () => {
    assert.deepEqual(
      failure(
        createService(
          svc({
            ipFamilyPolicy: "SingleStack",
            clusterIP: "10.96.0.5",
            clusterIPs: ["10.96.0.5", "fd00:10:96::5"],
            ports: ports80,
          }),
          allocators(),
        ),
      ),
      [
        `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified`,
      ],
    );
  });
});

describe("createService validation", () => {
  it("requires DNS-1035 names and gives back what it allocated", () => {
    const alloc = allocators();
    const causes = failure(
      createService(
        svc(
          { clusterIP: "10.96.0.10", type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] },
          "loadbalancerIPPool",
        ),
        alloc,
      ),
    );
    assert.deepEqual(causes, [
      `metadata.name: Invalid value: "loadbalancerIPPool": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    ok(
      createService(
        svc({ clusterIP: "10.96.0.10", type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }),
        alloc,
      ),
    );
  });

  it("refuses an address or node port that is taken", () => {
    const alloc = allocators();
    ok(
      createService(
        svc({ clusterIP: "10.96.0.10", type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }),
        alloc,
      ),
    );
    assert.deepEqual(failure(createService(svc({ clusterIP: "10.96.0.10", ports: ports80 }, "b"), alloc)), [
      'spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    ]);
    assert.deepEqual(
      failure(createService(svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }, "c"), alloc)),
      ["spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"],
    );
    assert.deepEqual(failure(createService(svc({ clusterIP: "10.200.0.1", ports: ports80 }, "d"), alloc)), [
      'spec.clusterIPs: Invalid value: ["10.200.0.1"]: failed to allocate IP 10.200.0.1: the provided IP (10.200.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    ]);
  });

  it("reports port and type errors with kube's messages", () => {
    assert.deepEqual(
      failure(
        createService(
          svc({ type: "Magic", ports: [{ port: 80 }, { port: 80, protocol: "ICMP", targetPort: "Http" }] }),
          allocators(),
        ),
      ),
      [
        "spec.ports[0].name: Required value",
        "spec.ports[1].name: Required value",
        'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        'spec.ports[1].targetPort: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    );
    assert.deepEqual(
      failure(
        createService(svc({ type: "ClusterIP", ports: [{ port: 80, nodePort: 30001 }] }), allocators()),
      ),
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    );
  });

  it("answers 500 when a range is full", () => {
    const tiny: ServiceAllocators = {
      ips: { IPv4: createCidrAllocator("10.0.0.0/30", () => 0) },
      primaryFamily: "IPv4",
      nodePorts: createPortAllocator(30000, 30000, () => 0),
    };
    ok(createService(svc({ ports: ports80 }, "a"), tiny));
    ok(createService(svc({ ports: ports80 }, "b"), tiny));
    const full = createService(svc({ ports: ports80 }, "c"), tiny);
    assert.equal(full.ok, false);
    assert.equal(!full.ok && full.status, 500);
    assert.equal(!full.ok && full.message, "failed to allocate a serviceIP: range is full");
  });
});

describe("updateService", () => {
  it("keeps allocated values a client left out and refuses changing them", () => {
    const alloc = allocators();
    const stored = {
      ...ok(createService(svc({ type: "NodePort", ports: ports80 }), alloc)),
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const omitted = svc({ type: "NodePort", ports: [{ port: 80, targetPort: 8080 }] });
    omitted.metadata = { ...stored.metadata };
    const updated = ok(updateService(omitted, stored, alloc));
    assert.equal(updated.spec?.clusterIP, stored.spec?.clusterIP);
    assert.equal(updated.spec?.ports?.[0]?.nodePort, stored.spec?.ports?.[0]?.nodePort);
    const moved = structuredClone(stored);
    moved.spec!.clusterIP = "10.96.0.99";
    moved.spec!.clusterIPs = ["10.96.0.99"];
    assert.deepEqual(failure(updateService(moved, stored, alloc)), [
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: may not change once set',
    ]);
  });

  it("downgrades a dual-stack Service when the policy becomes SingleStack, freeing the secondary", () => {
    const alloc = allocators();
    const created = ok(createService(svc({ ipFamilyPolicy: "PreferDualStack", ports: ports80 }), alloc));
    const stored: Service = {
      ...created,
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const keepsSecondary = structuredClone(stored);
    keepsSecondary.spec!.clusterIPs = [stored.spec!.clusterIPs![0]!];
    assert.deepEqual(failure(updateService(keepsSecondary, stored, alloc)), [
      `spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP`,
    ]);
    const single = structuredClone(stored);
    single.spec!.ipFamilyPolicy = "SingleStack";
    const updated = ok(updateService(single, stored, alloc));
    assert.deepEqual(updated.spec?.clusterIPs, ["10.96.1.1"]);
    assert.deepEqual(updated.spec?.ipFamilies, ["IPv4"]);
    ok(
      createService(svc({ ipFamilies: ["IPv6"], clusterIP: "fd00:10:96::101", ports: ports80 }, "v6"), alloc),
    );
  });

  it("drops node ports and load balancer status when leaving LoadBalancer, and frees the ports on commit", () => {
    const alloc = allocators();
    const created = ok(createService(svc({ type: "LoadBalancer", ports: ports80 }), alloc));
    const stored: Service = {
      ...created,
      metadata: { name: "web", namespace: "default", resourceVersion: "2" },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1", ipMode: "VIP" }] } },
    };
    const next = structuredClone(stored);
    next.spec!.type = "ClusterIP";
    const result = updateService(next, stored, alloc);
    const updated = ok(result);
    assert.equal(updated.spec?.ports?.[0]?.nodePort, undefined);
    assert.equal(updated.spec?.allocateLoadBalancerNodePorts, undefined);
    assert.equal(updated.spec?.externalTrafficPolicy, undefined);
    assert.deepEqual(updated.status, { loadBalancer: {} });
    // The freed node port can be claimed again.
    ok(
      createService(
        svc({ type: "NodePort", ports: [{ port: 80, nodePort: stored.spec!.ports![0]!.nodePort }] }, "other"),
        alloc,
      ),
    );
  });

  it("gives an ExternalName Service no address and allocates one when it becomes ClusterIP", () => {
    const alloc = allocators();
    const external = ok(createService(svc({ type: "ExternalName", externalName: "db.example.com." }), alloc));
    assert.deepEqual(external.spec, {
      type: "ExternalName",
      externalName: "db.example.com.",
      sessionAffinity: "None",
    });
    const stored: Service = {
      ...external,
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const next = structuredClone(stored);
    next.spec = { type: "ClusterIP", ports: ports80 };
    const updated = ok(updateService(next, stored, alloc));
    assert.deepEqual(updated.spec?.clusterIPs, ["10.96.1.1"]);
    assert.equal(updated.spec?.ipFamilyPolicy, "SingleStack");
    assert.deepEqual(failure(createService(svc({ type: "ExternalName" }, "bad"), alloc)), [
      "spec.externalName: Required value",
    ]);
  });

  it("keeps a health check node port for Local traffic, immutable until the policy changes", () => {
    const alloc = allocators();
    const created = ok(
      createService(svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", ports: ports80 }), alloc),
    );
    assert.equal(created.spec?.healthCheckNodePort, 30174);
    const stored: Service = {
      ...created,
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const moved = structuredClone(stored);
    moved.spec!.healthCheckNodePort = 31999;
    assert.deepEqual(failure(updateService(moved, stored, alloc)), [
      "spec.healthCheckNodePort: Forbidden: field is immutable",
    ]);
    const cluster = structuredClone(stored);
    cluster.spec!.externalTrafficPolicy = "Cluster";
    assert.equal(ok(updateService(cluster, stored, alloc)).spec?.healthCheckNodePort, undefined);
    ok(createService(svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30174 }] }, "reuse"), alloc));
  });

  it("ignores status on the main resource", () => {
    const alloc = allocators();
    const stored: Service = {
      ...ok(createService(svc({ ports: ports80 }), alloc)),
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const next = { ...structuredClone(stored), status: { loadBalancer: { ingress: [{ ip: "192.0.2.9" }] } } };
    assert.deepEqual(ok(updateService(next, stored, alloc)).status, stored.status);
  });
});

describe("updateServiceStatus and releaseService", () => {
  it("defaults ipMode and keeps the stored spec", () => {
    const alloc = allocators();
    const stored: Service = {
      ...ok(createService(svc({ type: "LoadBalancer", ports: ports80 }), alloc)),
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const input: Service = {
      ...structuredClone(stored),
      spec: { type: "ClusterIP" },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
    };
    const { service, causes } = updateServiceStatus(input, stored);
    assert.deepEqual(causes, []);
    assert.deepEqual(service.spec, stored.spec);
    assert.deepEqual(service.status?.loadBalancer?.ingress, [{ ip: "192.0.2.1", ipMode: "VIP" }]);
  });

  it("refuses load balancer ingress on other types and bad addresses", () => {
    const alloc = allocators();
    const clusterIP: Service = {
      ...ok(createService(svc({ ports: ports80 }), alloc)),
      metadata: { name: "web", namespace: "default", resourceVersion: "1" },
    };
    const onClusterIP = updateServiceStatus(
      { ...clusterIP, status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } } },
      clusterIP,
    );
    assert.deepEqual(onClusterIP.causes.map(causeText), [
      "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'",
    ]);
    const lb: Service = {
      ...ok(createService(svc({ type: "LoadBalancer", ports: ports80 }, "lb"), alloc)),
      metadata: { name: "lb", namespace: "default", resourceVersion: "1" },
    };
    const bad = updateServiceStatus(
      { ...lb, status: { loadBalancer: { ingress: [{ ip: "300.1.1.1" }] } } },
      lb,
    );
    assert.deepEqual(bad.causes.map(causeText), [
      'status.loadBalancer.ingress[0].ip: Invalid value: "300.1.1.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  it("releases addresses and node ports on delete", () => {
    const alloc = allocators();
    const created = ok(
      createService(
        svc({ type: "NodePort", clusterIP: "10.96.0.20", ports: [{ port: 80, nodePort: 30020 }] }),
        alloc,
      ),
    );
    releaseService(created, alloc);
    ok(
      createService(
        svc({ type: "NodePort", clusterIP: "10.96.0.20", ports: [{ port: 80, nodePort: 30020 }] }, "again"),
        alloc,
      ),
    );
  });
});
