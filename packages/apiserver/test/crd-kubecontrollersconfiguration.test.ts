import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { printerColumnCells } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";
import { create, deployedVersion, messages, RULES_NOT_CHECKED } from "./fixtures/crd/load.js";

const configurations = deployedVersion("kubecontrollersconfigurations.projectcalico.org.yaml");

function configuration(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "KubeControllersConfiguration",
    metadata: { name: "default" },
    spec,
    ...extra,
  };
}

describe("KubeControllersConfiguration CRD", () => {
  it("keeps AssignIPs, the key the upstream docs patch, through pruning", () => {
    const input = configuration({ controllers: { loadBalancer: { AssignIPs: "RequestedServicesOnly" } } });
    const { object, causes, unknownFields } = create(configurations, input);
    assert.deepEqual(causes, []);
    assert.deepEqual(unknownFields, []);
    assert.deepEqual(object.spec, { controllers: { loadBalancer: { AssignIPs: "RequestedServicesOnly" } } });
  });

  it("keeps assignIPs too, and adds no default for either spelling", () => {
    const { object } = create(
      configurations,
      configuration({ controllers: { loadBalancer: { assignIPs: "AllServices" } } }),
    );
    assert.deepEqual(object.spec, { controllers: { loadBalancer: { assignIPs: "AllServices" } } });
    assert.deepEqual(create(configurations, configuration({})).object.spec, {});
  });

  it("refuses modes other than AllServices and RequestedServicesOnly under either key", () => {
    const result = create(
      configurations,
      configuration({
        controllers: { loadBalancer: { assignIPs: "Some", AssignIPs: "requestedservicesonly" } },
      }),
    );
    assert.deepEqual(messages(result), [
      'spec.controllers.loadBalancer.assignIPs: Unsupported value: "Some": supported values: "AllServices", "RequestedServicesOnly"',
      'spec.controllers.loadBalancer.AssignIPs: Unsupported value: "requestedservicesonly": supported values: "AllServices", "RequestedServicesOnly"',
      RULES_NOT_CHECKED,
    ]);
  });

  it("keeps the settings of Calico's other controllers but prunes unknown loadBalancer keys", () => {
    const input = configuration({
      controllers: {
        node: { reconcilerPeriod: "5m" },
        loadBalancer: { assignIPs: "AllServices", assignIps: "x" },
      },
      logSeverityScreen: "Info",
    });
    const { object, unknownFields } = create(configurations, input);
    assert.deepEqual(unknownFields, [".spec.controllers.loadBalancer.assignIps", ".spec.logSeverityScreen"]);
    assert.deepEqual(object.spec, {
      controllers: { node: { reconcilerPeriod: "5m" }, loadBalancer: { assignIPs: "AllServices" } },
    });
  });

  it("has a status subresource whose runningConfig shows in the table", () => {
    assert.equal(configurations.hasStatusSubresource, true);
    const status = {
      runningConfig: { controllers: { loadBalancer: { assignIPs: "RequestedServicesOnly" } } },
    };
    const input = configuration({}, { status });
    input.metadata = { name: "default", creationTimestamp: "2026-01-01T00:00:00Z" };
    const { object, causes } = create(configurations, input);
    assert.deepEqual(causes, []);
    const cells = printerColumnCells(configurations, object, Date.parse("2026-01-01T00:00:45Z"));
    assert.deepEqual(cells, ["RequestedServicesOnly", "45s"]);
  });
});
