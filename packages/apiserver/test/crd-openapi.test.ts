import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCrd, definitionName, openApiV3Document } from "../src/crd/index.js";
import { loadDeployedCrd, loadFixture } from "./fixtures/crd/load.js";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

const ippools = compileCrd(loadDeployedCrd("ippools.projectcalico.org.yaml"));
const doc = openApiV3Document(ippools, "v3") as Doc;
const gvk = { group: "projectcalico.org", version: "v3", kind: "IPPool" };

describe("OpenAPI v3 document of a CRD group-version", () => {
  it("names schemas as kube-apiserver does, with the group reversed", () => {
    assert.equal(definitionName("projectcalico.org", "v3", "IPPool"), "org.projectcalico.v3.IPPool");
    assert.equal(doc.openapi, "3.0.0");
    assert.deepEqual(Object.keys(doc.components.schemas).slice(0, 2), [
      "org.projectcalico.v3.IPPool",
      "org.projectcalico.v3.IPPoolList",
    ]);
  });

  it("declares fieldValidation on every PATCH of the kind, which kubectl looks for", () => {
    // kubectl (QueryParamVerifierV3) scans PATCH operations whose x-kubernetes-group-version-kind is the kind.
    const patches = Object.entries(doc.paths).filter(([, item]) => item.patch !== undefined);
    assert.deepEqual(
      patches.map(([path]) => path),
      ["/apis/projectcalico.org/v3/ippools/{name}", "/apis/projectcalico.org/v3/ippools/{name}/status"],
    );
    for (const [, item] of patches) {
      const patch = item.patch!;
      assert.deepEqual(patch["x-kubernetes-group-version-kind"], gvk);
      assert.equal(patch["x-kubernetes-action"], "patch");
      const parameters = patch.parameters as { name: string; in: string }[];
      assert.ok(
        parameters.some((parameter) => parameter.name === "fieldValidation" && parameter.in === "query"),
      );
      const content = (patch.requestBody as { content: Record<string, unknown> }).content;
      assert.deepEqual(Object.keys(content), [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
      ]);
    }
  });

  it("describes list, create, read, replace and delete with kube's operation ids", () => {
    const collection = doc.paths["/apis/projectcalico.org/v3/ippools"]!;
    const item = doc.paths["/apis/projectcalico.org/v3/ippools/{name}"]!;
    const ids = [
      collection.get,
      collection.post,
      collection.delete,
      item.get,
      item.put,
      item.patch,
      item.delete,
    ].map((operation) => operation?.operationId);
    assert.deepEqual(ids, [
      "listProjectcalicoOrgV3IPPool",
      "createProjectcalicoOrgV3IPPool",
      "deletecollectionProjectcalicoOrgV3IPPool",
      "readProjectcalicoOrgV3IPPool",
      "replaceProjectcalicoOrgV3IPPool",
      "patchProjectcalicoOrgV3IPPool",
      "deleteProjectcalicoOrgV3IPPool",
    ]);
    assert.equal(
      doc.paths["/apis/projectcalico.org/v3/ippools/{name}/status"]?.patch?.operationId,
      "patchProjectcalicoOrgV3IPPoolStatus",
    );
  });

  it("publishes the CRD schema with ObjectMeta and type meta, tagged with its kind", () => {
    const schema = doc.components.schemas["org.projectcalico.v3.IPPool"]!;
    assert.deepEqual(schema["x-kubernetes-group-version-kind"], [gvk]);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(properties.metadata?.allOf, [
      { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
    ]);
    assert.equal(properties.apiVersion?.type, "string");
    assert.equal(properties.kind?.type, "string");
    const spec = properties.spec as { properties: Record<string, { default?: unknown; enum?: unknown }> };
    assert.deepEqual(spec.properties.assignmentMode?.enum, ["Automatic", "Manual"]);
    assert.deepEqual(spec.properties.allowedUses?.default, ["Workload", "Tunnel"]);
  });

  it("points every $ref at a schema the document holds", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of new Set(refs)) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      assert.ok(doc.components.schemas[name], `${ref} is dangling`);
    }
  });

  it("lists items of the kind in the List schema", () => {
    const list = doc.components.schemas["org.projectcalico.v3.IPPoolList"]!;
    assert.deepEqual(list["x-kubernetes-group-version-kind"], [{ ...gvk, kind: "IPPoolList" }]);
    assert.deepEqual(list.required, ["items"]);
    const items = (list.properties as Record<string, { items?: unknown }>).items;
    assert.deepEqual(items?.items, { $ref: "#/components/schemas/org.projectcalico.v3.IPPool" });
  });

  it("has no status paths without a status subresource, and namespaced paths for namespaced kinds", () => {
    const reservations = openApiV3Document(
      compileCrd(loadDeployedCrd("ipreservations.projectcalico.org.yaml")),
      "v3",
    ) as Doc;
    assert.deepEqual(Object.keys(reservations.paths), [
      "/apis/projectcalico.org/v3/ipreservations",
      "/apis/projectcalico.org/v3/ipreservations/{name}",
    ]);
    const widgets = openApiV3Document(compileCrd(loadFixture("widgets.example.com.yaml")), "v1") as Doc;
    assert.deepEqual(Object.keys(widgets.paths), [
      "/apis/example.com/v1/namespaces/{namespace}/widgets",
      "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}",
    ]);
    assert.equal(
      widgets.paths["/apis/example.com/v1/namespaces/{namespace}/widgets"]?.get?.operationId,
      "listNamespacedExampleComV1Widget",
    );
  });

  it("refuses a version the CRD does not have", () => {
    assert.throws(() => openApiV3Document(ippools, "v1"), /ippools.projectcalico.org has no version v1/);
  });
});
