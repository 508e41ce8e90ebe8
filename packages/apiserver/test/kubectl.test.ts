// The real kubectl against the server, for every kubectl version installed beside it: the
// dispatcher runs kubectl.1.<minor> for a server reporting that minor version.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { findKubectl, type KubectlResult, runKubectl } from "./helpers/kubectl.js";
import { suiteServer } from "./helpers/suite-server.js";

const crdDirectory = fileURLToPath(new URL("../../../../deploy/crds/", import.meta.url));
const install = findKubectl();

const serviceYaml = (port: number) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - name: http
    port: ${port}
    targetPort: 8080
`;

const poolYaml = (name: string) => `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ${name}
spec:
  cidr: 192.168.100.0/24
  blockSize: 26
  allowedUses: [LoadBalancer]
`;

const configYaml = `apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
spec:
  controllers:
    loadBalancer:
      assignIPs: AllServices
`;

// The upstream docs' command, verbatim.
const upstreamPatch = '{"spec": {"controllers":{"loadBalancer":{"AssignIPs": "RequestedServicesOnly"}}}}';

function ok(result: KubectlResult): string {
  assert.equal(result.code, 0, `kubectl failed: ${result.stderr}`);
  return result.stdout;
}

if (!install) {
  console.log("kubectl tests skipped: no kubectl on PATH");
  test("kubectl against the server", { skip: "no kubectl on PATH" }, () => {});
} else {
  const minors = [...install.versioned.keys()].sort((a, b) => a - b);
  if (minors.length === 0)
    console.log("no versioned kubectl.1.<minor> binaries beside kubectl; testing kubectl alone");
  for (const minor of minors.length > 0 ? minors : [32]) {
    describe(`kubectl for a 1.${minor} server`, () => {
      const suite = suiteServer(`lbipam-kubectl-${minor}-`, {
        kubernetesVersion: `1.${minor}.0`,
        crdDirectory,
      });
      const kubectl = (args: string[], stdin?: string) =>
        runKubectl(install.kubectl, suite.kubeconfig, join(suite.dir, "cache"), args, stdin);

      test("the dispatcher runs the matching kubectl", async () => {
        const version = JSON.parse(ok(await kubectl(["version", "-o", "json"]))) as {
          clientVersion: { minor: string };
          serverVersion: { minor: string };
        };
        assert.equal(version.serverVersion.minor, String(minor));
        // The dispatcher runs kubectl.1.<minor>, or itself when it is of that minor ("32+").
        if (install.versioned.has(minor))
          assert.match(version.clientVersion.minor, new RegExp(`^${minor}\\+?$`));
      });

      test("apply, get and patch a Service", async () => {
        assert.match(ok(await kubectl(["apply", "-f", "-"], serviceYaml(80))), /service\/web created/);
        assert.match(ok(await kubectl(["get", "svc", "web"])), /^NAME\b.*\nweb\b/s);
        const yaml = ok(await kubectl(["get", "svc", "web", "-o", "yaml"]));
        assert.match(yaml, /kubectl.kubernetes.io\/last-applied-configuration/);
        assert.match(ok(await kubectl(["apply", "-f", "-"], serviceYaml(81))), /service\/web configured/);
        assert.match(
          ok(await kubectl(["get", "svc", "web", "-o", "jsonpath={.spec.ports[*].port}"])),
          /^81$/,
        );
        ok(
          await kubectl([
            "patch",
            "svc",
            "web",
            "--type",
            "merge",
            "-p",
            '{"metadata":{"labels":{"merged":"yes"}}}',
          ]),
        );
        ok(
          await kubectl([
            "patch",
            "svc",
            "web",
            "--type",
            "json",
            "-p",
            '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]',
          ]),
        );
        ok(await kubectl(["patch", "svc", "web", "-p", '{"spec":{"ports":[{"name":"extra","port":90}]}}']));
        ok(await kubectl(["annotate", "svc", "web", "note=hello"]));
        const fields = ok(
          await kubectl([
            "get",
            "svc",
            "web",
            "-o",
            "jsonpath={.metadata.labels.merged},{.metadata.labels.json},{.spec.ports[*].port},{.metadata.annotations.note}",
          ]),
        );
        assert.equal(fields, "yes,yes,90 81,hello");
      });

      test("IPPools: apply, get with printer columns, an invalid name is refused", async () => {
        assert.match(
          ok(await kubectl(["apply", "-f", "-"], poolYaml("lb-pool"))),
          /ippool.projectcalico.org\/lb-pool created/,
        );
        const table = ok(await kubectl(["get", "ippools"]));
        assert.match(table, /^NAME\s+CIDR\s+BLOCK SIZE/);
        // BLOCK SIZE and the counts come from the status a controller writes: none runs here.
        assert.match(table, /\nlb-pool\s+192\.168\.100\.0\/24\s+\["LoadBalancer"\]\s+Automatic\b/);
        const bad = await kubectl(["apply", "-f", "-"], poolYaml("loadbalancerIPPool"));
        assert.equal(bad.code, 1);
        assert.match(
          bad.stderr,
          /IPPool "loadbalancerIPPool" is invalid: metadata.name: Invalid value: "loadbalancerIPPool"/,
        );
      });

      test("the upstream strategic patch of the configuration is refused with 415; --type merge works", async () => {
        ok(await kubectl(["apply", "-f", "-"], configYaml));
        const refused = await kubectl([
          "patch",
          "kubecontrollersconfiguration",
          "default",
          "--patch",
          upstreamPatch,
        ]);
        assert.equal(refused.code, 1);
        assert.match(
          refused.stderr,
          /the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/,
        );
        ok(
          await kubectl([
            "patch",
            "kubecontrollersconfiguration",
            "default",
            "--type",
            "merge",
            "--patch",
            upstreamPatch,
          ]),
        );
        const value = ok(
          await kubectl([
            "get",
            "kubecontrollersconfiguration",
            "default",
            "-o",
            "jsonpath={.spec.controllers.loadBalancer.AssignIPs}",
          ]),
        );
        assert.equal(value, "RequestedServicesOnly");
      });

      test("bad requests get the errors a real cluster gives", async () => {
        const noPorts = await kubectl(
          ["create", "-f", "-"],
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec: {}\n",
        );
        assert.equal(noPorts.code, 1);
        assert.match(noPorts.stderr, /The Service "bad" is invalid: spec.ports: Required value/);
        const unknown = await kubectl(
          ["create", "-f", "-"],
          serviceYaml(80)
            .replace("type: LoadBalancer", "type: LoadBalancer\n  foo: bar")
            .replace("name: web", "name: web2"),
        );
        assert.equal(unknown.code, 1);
        assert.match(
          unknown.stderr,
          /Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"/,
        );
        const conflict = await kubectl(["create", "-f", "-"], poolYaml("lb-pool"));
        assert.equal(conflict.code, 1);
        assert.match(
          conflict.stderr,
          /Error from server \(AlreadyExists\).*ippools.projectcalico.org "lb-pool" already exists/,
        );
      });

      test("delete", async () => {
        assert.match(ok(await kubectl(["delete", "svc", "web"])), /service "web" deleted/);
        const missing = await kubectl(["get", "svc", "web"]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /Error from server \(NotFound\): services "web" not found/);
      });
    });
  }
}
