// kubectl commands that follow the server over time, and describe: get -w, delete waiting on a
// finalizer, describe listing the Events of a Service (written through events.k8s.io/v1).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { findKubectl, runKubectl, startKubectl } from "./helpers/kubectl.js";
import { suiteServer } from "./helpers/suite-server.js";

const install = findKubectl();
const crdDirectory = fileURLToPath(new URL("../../../../deploy/crds/", import.meta.url));
const services = "/api/v1/namespaces/default/services";

function service(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, ...extra },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80 }] },
  };
}

if (!install) {
  console.log("kubectl stream tests skipped: no kubectl on PATH");
  test("kubectl get -w, delete --wait, describe", { skip: "no kubectl on PATH" }, () => {});
} else {
  const suite = suiteServer("lbipam-kubectl-streams-", { crdDirectory });
  const kubectl = (args: string[]) =>
    runKubectl(install.kubectl, suite.kubeconfig, join(suite.dir, "cache"), args);
  const start = (args: string[]) =>
    startKubectl(install.kubectl, suite.kubeconfig, join(suite.dir, "cache"), args);

  test("kubectl get -w prints new and changed Services as they happen", { timeout: 30_000 }, async () => {
    await suite.api.post(services, service("first"));
    const watching = start(["get", "svc", "-w"]);
    try {
      await watching.waitFor(
        /NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE[\s\S]*\nfirst\s+LoadBalancer/,
      );
      await suite.api.post(services, service("second"));
      await watching.waitFor(/\nsecond\s+LoadBalancer\s+10\.\S+\s+<pending>\s+80:\d+\/TCP/);
      await suite.api.patch(`${services}/second/status`, {
        status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }] } },
      });
      await watching.waitFor(/\nsecond\s+LoadBalancer\s+10\.\S+\s+192\.0\.2\.7\s+80:\d+\/TCP/);
    } finally {
      watching.stop();
      await watching.exited;
    }
  });

  test("kubectl get ippools -w prints pools with their printer columns", { timeout: 30_000 }, async () => {
    const watching = start(["get", "ippools", "-w"]);
    try {
      const pool = {
        apiVersion: "projectcalico.org/v3",
        kind: "IPPool",
        metadata: { name: "watched-pool" },
        spec: { cidr: "198.51.100.0/24", allowedUses: ["LoadBalancer"] },
      };
      // kubectl prints nothing until the first object exists, so create it once the watch is open.
      for (;;) {
        if (suite.server.counters.total({ verb: "watch", resource: "ippools" }) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal((await suite.api.post("/apis/projectcalico.org/v3/ippools", pool)).status, 201);
      await watching.waitFor(/\nwatched-pool\s+198\.51\.100\.0\/24\s+\["LoadBalancer"\]\s+Automatic/);
    } finally {
      watching.stop();
      await watching.exited;
    }
  });

  test("kubectl patch --subresource=status changes only the status", async () => {
    const patched = await kubectl([
      "patch",
      "svc",
      "first",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"spec":{"type":"ClusterIP"},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9"}]}}}',
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const fields = await kubectl([
      "get",
      "svc",
      "first",
      "-o",
      "jsonpath={.spec.type} {.status.loadBalancer.ingress[0].ip}",
    ]);
    assert.equal(fields.stdout, "LoadBalancer 192.0.2.9");
  });

  test("kubectl get -o wide adds the selector column", async () => {
    const result = await kubectl(["get", "svc", "first", "-o", "wide"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /SELECTOR\n/);
    assert.match(result.stdout, /\bapp=first\n/);
  });

  test("kubectl delete waits until the last finalizer is removed", { timeout: 30_000 }, async () => {
    await suite.api.post(services, service("held", { finalizers: ["example.com/hold"] }));
    const deleting = start(["delete", "svc", "held"]);
    // The server marks the object first; kubectl then waits for it to go away.
    for (;;) {
      const current = await suite.api.get(`${services}/held`);
      if ((current.body.metadata as { deletionTimestamp?: string }).deletionTimestamp) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(deleting.running(), "kubectl delete returned while the finalizer was still there");
    await suite.api.patch(`${services}/held`, { metadata: { finalizers: null } });
    const result = await deleting.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /service "held" deleted/);
  });

  test("kubectl describe svc and get events show Events written through events.k8s.io/v1", async () => {
    const svc = await suite.api.get(`${services}/first`);
    const uid = (svc.body.metadata as { uid: string }).uid;
    const event = await suite.api.post("/apis/events.k8s.io/v1/namespaces/default/events", {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "first.ipallocated" },
      eventTime: "2025-01-01T00:00:00.000000Z",
      reportingController: "projectcalico.org/lbipam",
      reportingInstance: "lbipam-1",
      action: "Allocate",
      reason: "IPAllocated",
      note: "assigned 192.0.2.1 from pool lb-pool",
      type: "Normal",
      regarding: { kind: "Service", namespace: "default", name: "first", uid, apiVersion: "v1" },
    });
    assert.equal(event.status, 201, event.text);
    const described = await kubectl(["describe", "svc", "first"]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(
      described.stdout,
      /Events:[\s\S]*Normal\s+IPAllocated\s+.*assigned 192\.0\.2\.1 from pool lb-pool/,
    );
    const events = await kubectl(["get", "events", "--field-selector", "involvedObject.name=first"]);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /Normal\s+IPAllocated\s+service\/first\s+assigned 192\.0\.2\.1/);
    const none = await kubectl(["get", "events", "--field-selector", "involvedObject.name=nobody"]);
    assert.match(none.stderr, /No resources found in default namespace/);
  });
}
