import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCrd, InvalidCrdError } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";
import { loadDeployedCrd, loadFixture } from "./fixtures/crd/load.js";

const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, " +
  "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is " +
  "'[a-z]([-a-z0-9]*[a-z0-9])?')";
const SCHEMA = "spec.versions[0].schema.openAPIV3Schema";

function refusal(crd: KubeObject): InvalidCrdError {
  try {
    compileCrd(crd);
  } catch (error) {
    if (error instanceof InvalidCrdError) return error;
    throw error;
  }
  assert.fail("the CRD was accepted");
}

describe("compileCrd on the project's CRDs", () => {
  for (const [file, kind, shortName, statusSubresource] of [
    ["ippools.projectcalico.org.yaml", "IPPool", "ipp", true],
    ["ipreservations.projectcalico.org.yaml", "IPReservation", "ipres", false],
    ["kubecontrollersconfigurations.projectcalico.org.yaml", "KubeControllersConfiguration", "kcc", true],
  ] as const) {
    it(`compiles ${file}: cluster scoped projectcalico.org/v3 ${kind}`, () => {
      const crd = compileCrd(loadDeployedCrd(file));
      assert.equal(crd.group, "projectcalico.org");
      assert.equal(crd.scope, "Cluster");
      assert.equal(crd.names.kind, kind);
      assert.equal(crd.names.listKind, `${kind}List`);
      assert.deepEqual(crd.names.shortNames, [shortName]);
      assert.deepEqual(crd.names.categories, ["lbipam"]);
      assert.equal(crd.storageVersion, "v3");
      assert.deepEqual(
        crd.versions.map((version) => [
          version.name,
          version.served,
          version.storage,
          version.hasStatusSubresource,
        ]),
        [["v3", true, true, statusSubresource]],
      );
      assert.equal(crd.versions[0]?.printerColumns.at(-1)?.name, "Age");
    });
  }
});

describe("the project's CEL rules name only declared fields", () => {
  // kube-apiserver type-checks rules when a CRD is created; the engine evaluates them only,
  // so a misspelt field would pass here and fail on a real cluster.
  type Node = { properties?: Record<string, Node>; "x-kubernetes-validations"?: { rule: string }[] };

  function undeclaredFields(node: Node, path: string): string[] {
    const found: string[] = [];
    for (const { rule } of node["x-kubernetes-validations"] ?? []) {
      for (const match of rule.matchAll(/\b(?:self|oldSelf)((?:\.[A-Za-z_]\w*)+)(\()?/g)) {
        const names = match[1]!.slice(1).split(".");
        if (match[2]) names.pop(); // a method call such as .matches(...) or .split(...)
        let current: Node | undefined = node;
        for (const name of names) {
          current = current?.properties?.[name];
          if (!current) found.push(`${path}: ${match[0]}`);
          if (!current) break;
        }
      }
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      found.push(...undeclaredFields(child, `${path}.${name}`));
    }
    const items = (node as { items?: Node }).items;
    if (items) found.push(...undeclaredFields(items, `${path}[]`));
    return found;
  }

  for (const file of [
    "ippools.projectcalico.org.yaml",
    "ipreservations.projectcalico.org.yaml",
    "kubecontrollersconfigurations.projectcalico.org.yaml",
  ]) {
    it(file, () => {
      const version = compileCrd(loadDeployedCrd(file)).versions[0]!;
      assert.deepEqual(undeclaredFields(version.openapiSchema as Node, ""), []);
    });
  }

  it("and the check finds a misspelt field", () => {
    const schema: Node = {
      properties: {
        spec: {
          properties: { cidr: {} },
          "x-kubernetes-validations": [{ rule: "self.cdir == oldSelf.cidr.trim()" }],
        },
      },
    };
    assert.deepEqual(undeclaredFields(schema, ""), [".spec: self.cdir"]);
  });
});

describe("compileCrd refuses what kube-apiserver refuses", () => {
  it("reports schema, scope, short name and printer column problems with their paths", () => {
    const error = refusal(loadFixture("invalid-structure.yaml"));
    assert.deepEqual(
      error.causes.map((cause) => `${cause.field}: ${cause.message}`),
      [
        `spec.names.shortNames[0]: Invalid value: "Gdg": ${DNS1035}`,
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        `${SCHEMA}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, ` +
          "but metadata is implicitly specified",
        `${SCHEMA}.properties[spec].properties[size].type: Required value: must not be empty for specified object fields`,
        `${SCHEMA}.properties[spec].properties[tags].items: Required value: must be specified`,
        `${SCHEMA}.properties[spec].properties[mode].default: Unsupported value: "C": supported values: "A", "B"`,
        `${SCHEMA}.properties[spec].properties[rule].x-kubernetes-validations[0].rule: Invalid value: "self.(": ` +
          "compilation failed: <input>:1:5: found . but expecting end of input",
        `${SCHEMA}.properties[spec].properties[rule].x-kubernetes-validations[1].messageExpression: ` +
          `Invalid value: "'bad: ' +": compilation failed: <input>:1:9: found + but expecting end of input`,
        'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "float": supported values: ' +
          '"boolean", "date", "integer", "number", "string"',
        'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: "spec.size": must be a simple json path',
      ],
    );
    assert.deepEqual(
      error.causes.map((cause) => cause.reason),
      [
        "FieldValueInvalid",
        "FieldValueNotSupported",
        "FieldValueForbidden",
        "FieldValueRequired",
        "FieldValueRequired",
        "FieldValueNotSupported",
        "FieldValueInvalid",
        "FieldValueInvalid",
        "FieldValueNotSupported",
        "FieldValueInvalid",
      ],
    );
  });

  it("reports name, group and version problems", () => {
    const error = refusal(loadFixture("invalid-names.yaml"));
    assert.deepEqual(
      error.causes.map((cause) => cause.field),
      [
        "spec.group",
        "metadata.name",
        "spec.names.plural",
        "spec.names.listKind",
        "spec.versions",
        "spec.versions[1].name",
        "spec.versions[1].schema.openAPIV3Schema",
      ],
    );
    assert.equal(
      error.causes[1]?.message,
      'Invalid value: "gizmos.example": must be spec.names.plural+"."+spec.group',
    );
    assert.equal(
      error.causes[4]?.message,
      'Invalid value: []interface {}{"v1", "V2"}: must have exactly one version marked as storage version',
    );
  });

  it("refuses a schema whose root is not an object", () => {
    const crd = loadDeployedCrd("ipreservations.projectcalico.org.yaml");
    const version = (crd.spec as { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] })
      .versions[0]!;
    version.schema.openAPIV3Schema.type = "string";
    const error = refusal(crd);
    assert.deepEqual(
      error.causes.map((cause) => `${cause.field}: ${cause.message}`),
      [`${SCHEMA}.type: Invalid value: "string": must be object at the root`],
    );
  });
});

describe("InvalidCrdError", () => {
  const cause = { reason: "FieldValueRequired" as const, field: "spec.group", message: "Required value" };
  const cases = [
    { causes: [cause], summary: "spec.group: Required value" },
    {
      causes: [cause, { ...cause, field: "spec.scope" }],
      summary: "[spec.group: Required value, spec.scope: Required value]",
    },
  ];
  for (const { causes, summary } of cases) {
    it(`words ${causes.length} cause(s) as kube-apiserver does`, () => {
      const error = new InvalidCrdError("things.example.com", causes);
      assert.equal(error.code, "CRD_INVALID");
      assert.equal(error.name, "InvalidCrdError");
      assert.ok(error instanceof Error);
      assert.deepEqual(error.causes, causes);
      assert.equal(
        error.message,
        `CustomResourceDefinition.apiextensions.k8s.io "things.example.com" is invalid: ${summary}`,
      );
    });
  }
});
