// Discovery, version and OpenAPI: what kubectl and client libraries read before anything else,
// including CRDs appearing and disappearing at runtime.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";

let server: ApiServer;
let api: ApiClient;

const aggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
const aggregatedV2beta1 =
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

const gadgets = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.org" },
  spec: {
    group: "example.org",
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget", shortNames: ["gd"] },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", properties: { n: { type: "integer" } } } },
          },
        },
      },
    ],
  },
};

interface DiscoveryGroup {
  metadata: { name: string };
  versions: {
    version: string;
    resources: {
      resource: string;
      scope: string;
      shortNames?: string[];
      subresources?: { subresource: string }[];
    }[];
  }[];
}

before(async () => {
  server = await startApiServer({ kubernetesVersion: "1.30.2" });
  api = new ApiClient(server);
});

after(async () => {
  api.close();
  await server.stop();
});

test("/version reports the configured version", async () => {
  const version = await api.get("/version");
  assert.equal(version.body.major, "1");
  assert.equal(version.body.minor, "30");
  assert.equal(version.body.gitVersion, "v1.30.2");
});

test("startApiServer refuses a malformed version, naming the option", async () => {
  await assert.rejects(startApiServer({ kubernetesVersion: "latest" }), /invalid option kubernetesVersion/);
  await assert.rejects(startApiServer({ port: 70000 }), /invalid option port/);
});

test("legacy discovery lists the core resources and the named groups", async () => {
  const core = await api.get("/api/v1");
  const resources = (core.body.resources as { name: string; namespaced: boolean; verbs: string[] }[]).map(
    (r) => r.name,
  );
  assert.deepEqual(resources.sort(), [
    "events",
    "namespaces",
    "namespaces/status",
    "services",
    "services/status",
  ]);
  const groups = await api.get("/apis");
  const names = (groups.body.groups as { name: string }[]).map((g) => g.name);
  for (const group of ["events.k8s.io", "coordination.k8s.io", "apiextensions.k8s.io"])
    assert.ok(names.includes(group), group);
  const leases = await api.get("/apis/coordination.k8s.io/v1");
  assert.equal(leases.body.kind, "APIResourceList");
  assert.equal((await api.get("/apis/nothing.example/v1")).status, 404);
});

test("aggregated discovery (v2 and v2beta1) answers with its content type", async () => {
  for (const [accept, version] of [
    [aggregatedV2, "v2"],
    [aggregatedV2beta1, "v2beta1"],
  ] as const) {
    const core = await api.get("/api", { accept });
    assert.equal(
      core.headers["content-type"],
      `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
    );
    assert.equal(core.body.kind, "APIGroupDiscoveryList");
    const items = core.body.items as DiscoveryGroup[];
    assert.deepEqual(
      items.map((i) => i.metadata.name),
      [""],
    );
    const svc = items[0]!.versions[0]!.resources.find((r) => r.resource === "services")!;
    assert.equal(svc.scope, "Namespaced");
    assert.deepEqual(svc.shortNames, ["svc"]);
    assert.deepEqual(
      svc.subresources?.map((s) => s.subresource),
      ["status"],
    );
  }
});

test("a CRD is served, discovered and in /openapi/v3 as soon as it is created, and gone when deleted", async () => {
  const created = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", gadgets);
  assert.equal(created.status, 201, created.text);
  const crd = await api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org");
  const conditions = (crd.body.status as { conditions: { type: string; status: string }[] }).conditions;
  assert.deepEqual(conditions.map((c) => `${c.type}=${c.status}`).sort(), [
    "Established=True",
    "NamesAccepted=True",
  ]);
  const groups = (await api.get("/apis", { accept: aggregatedV2 })).body.items as DiscoveryGroup[];
  const group = groups.find((g) => g.metadata.name === "example.org");
  assert.equal(group?.versions[0]?.resources[0]?.resource, "gadgets");
  assert.deepEqual(group?.versions[0]?.resources[0]?.shortNames, ["gd"]);
  const index = (await api.get("/openapi/v3")).body.paths as Record<string, { serverRelativeURL: string }>;
  const url = index["apis/example.org/v1alpha1"]?.serverRelativeURL;
  assert.ok(url);
  const doc = await api.get(url);
  assert.ok(
    Object.keys(doc.body.paths as object).includes(
      "/apis/example.org/v1alpha1/namespaces/{namespace}/gadgets/{name}",
    ),
  );
  const object = await api.post("/apis/example.org/v1alpha1/namespaces/default/gadgets", {
    apiVersion: "example.org/v1alpha1",
    kind: "Gadget",
    metadata: { name: "g1" },
    spec: { n: 1 },
  });
  assert.equal(object.status, 201, object.text);
  assert.equal(
    (await api.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org")).status,
    200,
  );
  assert.equal((await api.get("/apis/example.org/v1alpha1/namespaces/default/gadgets/g1")).status, 404);
  const after = (await api.get("/apis", { accept: aggregatedV2 })).body.items as DiscoveryGroup[];
  assert.equal(
    after.find((g) => g.metadata.name === "example.org"),
    undefined,
  );
});

test("an invalid CRD is refused with the CRD engine's causes", async () => {
  const bad = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
    ...gadgets,
    metadata: { name: "wrong.example.org" },
  });
  assert.equal(bad.status, 422);
  assert.match(
    String(bad.body.message),
    /^CustomResourceDefinition.apiextensions.k8s.io "wrong.example.org" is invalid: metadata.name/,
  );
});

test("/openapi/v2 offers the fieldValidation parameter on every kind's PATCH, in JSON and protobuf", async () => {
  const json = await api.get("/openapi/v2");
  const paths = json.body.paths as Record<string, { patch: { parameters: { name: string }[] } }>;
  assert.deepEqual(
    paths["/api/v1/namespaces/{namespace}/services/{name}"]?.patch.parameters.map((p) => p.name),
    ["fieldValidation"],
  );
  const proto = await api.get("/openapi/v2", {
    accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
  });
  assert.equal(proto.status, 200);
  assert.equal(proto.headers["content-type"], "application/octet-stream");
  // The document starts with field 1 (swagger) = "2.0".
  assert.deepEqual([...Buffer.from(proto.text, "latin1").subarray(0, 5)], [0x0a, 0x03, 0x32, 0x2e, 0x30]);
  assert.ok(proto.text.includes("x-kubernetes-group-version-kind"));
});
