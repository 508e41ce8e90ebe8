// How answers of the API server become errors, against a small plain-HTTP
// server that answers every request with one status.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { ClusterReader, connect } from "../src/cluster.js";
import { AccessDeniedError, CrdsMissingError, PluginError, RequestFailedError } from "../src/errors.js";

describe("cluster errors", () => {
  let server: Server;
  let dir: string;
  let answer = { code: 200, body: {} as unknown };
  const seen: string[] = [];

  const kubeconfig = (url: string, namespace?: string): string => {
    const path = join(dir, `kubeconfig-${seen.length}-${Math.random()}`);
    writeFileSync(
      path,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u", ...(namespace ? { namespace } : {}) } }],
        "current-context": "x",
      }),
    );
    return path;
  };
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kubectl-lbipam-cluster-"));
    server = createServer((request, response) => {
      seen.push(request.url ?? "");
      response.writeHead(answer.code, { "content-type": "application/json" });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const status = (code: number, message: string) => ({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code,
    message,
  });
  const cases: [string, number, unknown, (e: unknown) => boolean][] = [
    [
      "404 on the IPPool list: the CRDs are not installed",
      404,
      status(404, "the server could not find the requested resource"),
      (e) =>
        e instanceof CrdsMissingError &&
        /the server has no resource ippools.projectcalico.org/.test(e.message),
    ],
    [
      "403: access denied, with the server's message",
      403,
      status(403, 'ippools.projectcalico.org is forbidden: User "jane" cannot list resource "ippools"'),
      (e) => e instanceof AccessDeniedError && e.status === 403 && /User "jane" cannot list/.test(e.message),
    ],
    [
      "401: access denied",
      401,
      status(401, "Unauthorized"),
      (e) =>
        e instanceof AccessDeniedError &&
        /^access denied \(401 Unauthorized\) listing ippools/.test(e.message),
    ],
    [
      "500: the request failed, with the code",
      500,
      status(500, "etcd is down"),
      (e) => e instanceof RequestFailedError && /failed \(500\): etcd is down/.test(e.message),
    ],
  ];
  for (const [title, code, body, check] of cases) {
    it(title, async () => {
      answer = { code, body };
      const reader = new ClusterReader(connect({ kubeconfig: kubeconfig(url()) }));
      await assert.rejects(reader.objects(), check);
    });
  }

  it("a server that cannot be reached: the request failed, naming the server", async () => {
    const address = "http://127.0.0.1:9";
    const reader = new ClusterReader(connect({ kubeconfig: kubeconfig(address) }));
    await assert.rejects(
      reader.pools(),
      (e) =>
        e instanceof RequestFailedError && e.message.includes(`cannot reach the API server at ${address}`),
    );
  });

  it("the namespace: -n, else the context's, else default", () => {
    const withNamespace = kubeconfig(url(), "team");
    assert.equal(connect({ kubeconfig: withNamespace }).namespace, "team");
    assert.equal(connect({ kubeconfig: withNamespace, namespace: "other" }).namespace, "other");
    assert.equal(connect({ kubeconfig: kubeconfig(url()) }).namespace, "default");
  });

  it("a missing KubeControllersConfiguration or Namespace is not an error", async () => {
    answer = { code: 404, body: status(404, "not found") };
    const reader = new ClusterReader(connect({ kubeconfig: kubeconfig(url()) }));
    assert.equal(await reader.configuration(), undefined);
    assert.equal(await reader.namespace("x"), undefined);
    await assert.rejects(
      reader.service("ns", "web"),
      (e) => e instanceof PluginError && e.code === "NOT_FOUND",
    );
  });
});
