// What `npm start` prints for each LoadBalancer Service (local-cluster.ts assignmentLine).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { V1Service } from "@kubernetes/client-node";
import { assignmentLine } from "../src/commands/local-cluster.js";

const all = { assignIPs: "AllServices", loadBalancerClass: "calico" } as const;
const requestedOnly = { assignIPs: "RequestedServicesOnly", loadBalancerClass: "calico" } as const;

const service = (extra: {
  spec?: V1Service["spec"];
  status?: V1Service["status"];
  annotations?: Record<string, string>;
}) => ({
  metadata: { namespace: "shop", name: "web", annotations: extra.annotations },
  spec: { type: "LoadBalancer", ports: [{ port: 80 }], ...extra.spec },
  status: extra.status,
});

it("shows the addresses, why a managed Service waits, and a Service lbipam does not manage as such (it printed <pending>)", () => {
  const steps: [string, V1Service, typeof all | typeof requestedOnly, string][] = [
    [
      "addresses",
      service({ status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }, { ip: "2001:db8::1" }] } } }),
      all,
      "service shop/web: 192.0.2.1, 2001:db8::1",
    ],
    ["not reconciled yet", service({}), all, "service shop/web: <pending>"],
    [
      "waiting",
      service({
        status: {
          conditions: [
            {
              type: "projectcalico.org/LoadBalancerIPAllocated",
              status: "False",
              reason: "PoolExhausted",
              message: "IPv4 pending: no free IPv4 address in edge",
              lastTransitionTime: new Date(0),
            },
          ],
        },
      }),
      all,
      "service shop/web: <pending> (PoolExhausted: IPv4 pending: no free IPv4 address in edge)",
    ],
    [
      "another class",
      service({ spec: { type: "LoadBalancer", loadBalancerClass: "example.com/other" } }),
      all,
      "service shop/web: not managed by lbipam (spec.loadBalancerClass is example.com/other, not calico)",
    ],
    [
      "not requested",
      service({}),
      requestedOnly,
      "service shop/web: not managed by lbipam (assignIPs is RequestedServicesOnly and the Service asks for no pool or address)",
    ],
    [
      "requested",
      service({ annotations: { "projectcalico.org/ipv4pools": '["edge"]' } }),
      requestedOnly,
      "service shop/web: <pending>",
    ],
  ];
  for (const [what, object, config, line] of steps) assert.equal(assignmentLine(object, config), line, what);
});
