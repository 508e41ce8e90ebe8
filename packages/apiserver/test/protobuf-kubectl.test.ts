// The real kubectl's typed create commands, which send protobuf bodies from kubectl 1.32 on
// (older ones send JSON): the objects they create are checked through the API, and match the
// objects the JSON path creates from the same command's --dry-run=client -o json.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { findKubectl, type KubectlResult, runKubectl } from "./helpers/kubectl.js";
import { suiteServer } from "./helpers/suite-server.js";

const install = findKubectl();

/** The first kubectl minor whose typed clients send protobuf. */
const firstProtobufMinor = 32;
const protobufRequest = /Content-Type: application\/vnd\.kubernetes\.protobuf/;

function ok(result: KubectlResult): string {
  assert.equal(result.code, 0, `kubectl failed: ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

interface Port {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
}

type Service = {
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown> & { ports: Port[]; type: string };
};

if (!install) {
  console.log("kubectl protobuf tests skipped: no kubectl on PATH");
  test("kubectl protobuf bodies", { skip: "no kubectl on PATH" }, () => {});
} else {
  const minors = [...install.versioned.keys()].sort((a, b) => a - b);
  for (const minor of minors.length > 0 ? minors : [32]) {
    describe(`kubectl create against a 1.${minor} server`, () => {
      const suite = suiteServer(`lbipam-kubectl-pb-${minor}-`, { kubernetesVersion: `1.${minor}.0` });
      const kubectl = (args: string[], stdin?: string) =>
        runKubectl(install.kubectl, suite.kubeconfig, join(suite.dir, "cache"), args, stdin);
      /** Runs a create command verbosely; from 1.32 on its body must have been protobuf. */
      const create = async (args: string[]) => {
        const result = await kubectl(["-v=8", ...args]);
        const stdout = ok(result);
        if (minor >= firstProtobufMinor)
          assert.match(result.stderr, protobufRequest, `kubectl 1.${minor} did not send protobuf`);
        return stdout;
      };
      const getService = async (name: string): Promise<Service> => {
        const reply = await suite.api.get(`/api/v1/namespaces/default/services/${name}`);
        assert.equal(reply.status, 200, reply.text);
        return reply.body as unknown as Service;
      };

      test("kubectl create namespace", async () => {
        assert.match(await create(["create", "namespace", "foo"]), /namespace\/foo created/);
        const reply = await suite.api.get("/api/v1/namespaces/foo");
        assert.equal(reply.status, 200, reply.text);
        const ns = reply.body as {
          metadata: { name: string; labels: Record<string, string> };
          status: unknown;
        };
        assert.equal(ns.metadata.name, "foo");
        assert.equal(ns.metadata.labels["kubernetes.io/metadata.name"], "foo");
        assert.deepEqual(ns.status, { phase: "Active" });
        assert.match(ok(await kubectl(["get", "namespace", "foo"])), /^NAME\b.*\nfoo\s+Active\b/s);
      });

      test("kubectl create service loadbalancer x --tcp=80:80", async () => {
        assert.match(
          await create(["create", "service", "loadbalancer", "x", "--tcp=80:80"]),
          /service\/x created/,
        );
        const svc = await getService("x");
        assert.equal(svc.metadata.name, "x");
        assert.deepEqual(svc.metadata.labels, { app: "x" });
        assert.equal(svc.spec.type, "LoadBalancer");
        assert.deepEqual(svc.spec.selector, { app: "x" });
        assert.equal(svc.spec.ports.length, 1);
        const [port] = svc.spec.ports;
        assert.equal(port?.name, "80-80");
        assert.equal(port?.protocol, "TCP");
        assert.equal(port?.port, 80);
        assert.equal(port?.targetPort, 80);
        assert.ok(typeof port?.nodePort === "number" && port.nodePort >= 30000 && port.nodePort <= 32767);
      });

      test("kubectl create service clusterip y --tcp=8080:80, the same object as through JSON", async () => {
        assert.match(
          await create(["create", "service", "clusterip", "y", "--tcp=8080:80"]),
          /service\/y created/,
        );
        const svc = await getService("y");
        assert.equal(svc.spec.type, "ClusterIP");
        assert.deepEqual(svc.spec.ports, [{ name: "8080-80", protocol: "TCP", port: 8080, targetPort: 80 }]);
        assert.match(String(svc.spec.clusterIP), /^\d+\.\d+\.\d+\.\d+$/);

        // The same command's object sent as JSON (kubectl create -f sends JSON).
        const manifest = ok(
          await kubectl([
            "create",
            "service",
            "clusterip",
            "y",
            "--tcp=8080:80",
            "--dry-run=client",
            "-o",
            "json",
          ]),
        );
        const viaJson = JSON.parse(manifest) as Service;
        viaJson.metadata.name = "y-json";
        assert.match(
          ok(await kubectl(["create", "-f", "-"], JSON.stringify(viaJson))),
          /service\/y-json created/,
        );
        const jsonSvc = await getService("y-json");
        const comparable = (s: Service) => {
          const { clusterIP: _ip, clusterIPs: _ips, ...rest } = s.spec;
          return { labels: s.metadata.labels, spec: rest };
        };
        assert.deepEqual(comparable(svc), comparable(jsonSvc));
      });

      test("kubectl create service in a namespace, then delete the namespace", async () => {
        assert.match(
          await create([
            "create",
            "service",
            "nodeport",
            "z",
            "-n",
            "foo",
            "--tcp=81:8081",
            "--node-port=30081",
          ]),
          /service\/z created/,
        );
        const reply = await suite.api.get("/api/v1/namespaces/foo/services/z");
        const svc = reply.body as unknown as Service;
        assert.deepEqual(svc.spec.ports, [
          { name: "81-8081", protocol: "TCP", port: 81, targetPort: 8081, nodePort: 30081 },
        ]);
        ok(await kubectl(["delete", "namespace", "foo", "--wait=false"]));
      });
    });
  }
}
