import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  causeText,
  finalizerWarnings,
  generateName,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDns1035Label,
  nameIsDnsSubdomain,
  nameIsPathSegment,
  validateCoreObjectMeta,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../src/validation/index.js";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe("name formats", () => {
  it("accepts valid names and rejects invalid ones", () => {
    assert.deepEqual(isDns1123Subdomain("a.b-c.d"), []);
    assert.deepEqual(isDns1123Subdomain("loadbalancerIPPool"), [SUBDOMAIN_MSG]);
    assert.deepEqual(isDns1123Label("abc-1"), []);
    assert.equal(isDns1123Label("a.b").length, 1);
    assert.deepEqual(isDns1035Label("my-svc"), []);
    assert.deepEqual(isDns1035Label("1abc"), [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  it("reports length and format separately", () => {
    const errs = isDns1123Label(`${"a".repeat(63)}-`);
    assert.equal(errs[0], "must be no more than 63 characters");
    assert.match(errs[1]!, /^a lowercase RFC 1123 label/);
    assert.deepEqual(isDns1123Label("a".repeat(63)), []);
  });

  it("checks qualified names with prefixes", () => {
    assert.deepEqual(isQualifiedName("example.com/My_Name"), []);
    assert.deepEqual(isQualifiedName("/x"), ["prefix part must be non-empty"]);
    assert.match(
      isQualifiedName("a/b/c")[0]!,
      /^a qualified name must consist of .* \(e\.g\. 'example\.com\/MyName'\)$/,
    );
    assert.match(isQualifiedName("Bad_/x")[0]!, /^prefix part a lowercase RFC 1123 subdomain/);
    assert.match(isQualifiedName("-x")[0]!, /^name part must consist of alphanumeric characters/);
    assert.deepEqual(isValidLabelValue(""), []);
    assert.equal(isValidLabelValue("bad value").length, 1);
  });

  it("masks a trailing dash of a generateName", () => {
    assert.deepEqual(nameIsDnsSubdomain("svc-", true), []);
    assert.equal(nameIsDnsSubdomain("svc-", false).length, 1);
    assert.equal(nameIsDns1035Label("1svc-", true).length, 1);
  });

  it("generates names as the simple name generator does", () => {
    let i = 0;
    const sequence = [0, 0.99, 0.5, 0.1, 0.3];
    const name = generateName("web-", () => sequence[i++ % sequence.length]!);
    assert.equal(name, "web-b9rdl");
    assert.equal(generateName("x".repeat(70), () => 0).length, 63);
  });
});

describe("validateObjectMeta", () => {
  it("gives the exact message for the upstream pool name", () => {
    const causes = validateObjectMeta({ name: "loadbalancerIPPool" }, false, nameIsDnsSubdomain);
    assert.deepEqual(causes, [
      {
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message: `Invalid value: "loadbalancerIPPool": ${SUBDOMAIN_MSG}`,
      },
    ]);
    assert.equal(
      causeText(causes[0]!),
      `metadata.name: Invalid value: "loadbalancerIPPool": ${SUBDOMAIN_MSG}`,
    );
  });

  it("requires a name and a namespace where they belong", () => {
    assert.deepEqual(validateObjectMeta({}, true, nameIsDnsSubdomain).map(causeText), [
      "metadata.name: Required value: name or generateName is required",
      "metadata.namespace: Required value",
    ]);
    assert.deepEqual(
      validateObjectMeta({ name: "a", namespace: "x" }, false, nameIsDnsSubdomain).map(causeText),
      ["metadata.namespace: Forbidden: not allowed on this type"],
    );
  });

  it("validates labels, annotations and finalizers", () => {
    const causes = validateObjectMeta(
      {
        name: "a",
        labels: { "ok/key": "bad value" },
        annotations: { "Upper.Case/OK": "", "bad key": "" },
        finalizers: ["example.com/f", "-nope"],
      },
      false,
      nameIsDnsSubdomain,
    );
    assert.deepEqual(
      causes.map((c) => [c.field, c.message.split(":")[1]]),
      [
        ["metadata.labels", ' "bad value"'],
        ["metadata.annotations", ' "bad key"'],
        ["metadata.finalizers", ' "-nope"'],
      ],
    );
  });

  it("limits the total annotation size", () => {
    const causes = validateObjectMeta(
      { name: "a", annotations: { a: "x".repeat(256 * 1024) } },
      false,
      nameIsDnsSubdomain,
    );
    assert.deepEqual(causes.map(causeText), [
      "metadata.annotations: Too long: may not be more than 262144 bytes",
    ]);
  });
});

describe("validateObjectMetaUpdate", () => {
  it("refuses changes of immutable fields", () => {
    const prev = { name: "a", uid: "u1", resourceVersion: "5", creationTimestamp: "2024-01-01T00:00:00Z" };
    assert.deepEqual(validateObjectMetaUpdate({ ...prev }, prev), []);
    assert.deepEqual(
      validateObjectMetaUpdate({ ...prev, name: "b", uid: "u2", resourceVersion: "" }, prev).map(causeText),
      [
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
      ],
    );
  });

  it("checks labels but not finalizer names again on update", () => {
    const prev = { name: "a", resourceVersion: "1" };
    const next = { ...prev, labels: { "-bad": "x" }, finalizers: ["-also-bad"] };
    assert.deepEqual(
      validateObjectMetaUpdate(next, prev).map((c) => c.field),
      ["metadata.labels"],
    );
  });

  it("refuses new finalizers on an object being deleted", () => {
    const prev = {
      name: "a",
      resourceVersion: "1",
      deletionTimestamp: "2024-01-01T00:00:00Z",
      finalizers: ["a.io/x"],
    };
    assert.deepEqual(
      validateObjectMetaUpdate({ ...prev, finalizers: ["a.io/x", "b.io/y"] }, prev).map(causeText),
      [
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
      ],
    );
  });
});

describe("finalizers of built-in kinds and custom resources", () => {
  it("refuses short non-standard finalizers on built-in kinds only", () => {
    const meta = { name: "a", finalizers: ["kubernetes", "example.com/x", "mine"] };
    assert.deepEqual(validateObjectMeta(meta, false, nameIsDnsSubdomain), []);
    assert.deepEqual(validateCoreObjectMeta(meta, false, nameIsDnsSubdomain).map(causeText), [
      'metadata.finalizers[2]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    assert.deepEqual(finalizerWarnings(meta), [
      'metadata.finalizers[2]: "mine": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers',
    ]);
  });

  it("checks names as URL path segments", () => {
    assert.deepEqual(nameIsPathSegment("..", false), ["may not be '..'"]);
    assert.deepEqual(nameIsPathSegment("a/b%c", false), ["may not contain '/'", "may not contain '%'"]);
    assert.deepEqual(nameIsPathSegment("Any_Name.1", false), []);
  });
});
