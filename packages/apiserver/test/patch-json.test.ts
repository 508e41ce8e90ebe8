import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyJsonPatch, PatchError } from "../src/patch/index.js";

const doc = () => ({
  metadata: { labels: { a: "1" } },
  spec: { ports: [{ port: 80 }, { port: 443 }], "x/y": { "t~": 1 } },
});

function failure(operations: unknown): PatchError {
  try {
    applyJsonPatch(doc(), operations);
  } catch (err) {
    assert.ok(err instanceof PatchError);
    return err;
  }
  assert.fail("patch applied");
}

describe("applyJsonPatch (RFC 6902)", () => {
  it("applies every operation in order", () => {
    const result = applyJsonPatch(doc(), [
      { op: "add", path: "/metadata/labels/b", value: "2" },
      { op: "add", path: "/spec/ports/0", value: { port: 53 } },
      { op: "add", path: "/spec/ports/-", value: { port: 8080 } },
      { op: "remove", path: "/spec/ports/1" },
      { op: "replace", path: "/metadata/labels/a", value: "one" },
      { op: "copy", from: "/metadata/labels/a", path: "/metadata/labels/c" },
      { op: "move", from: "/spec/x~1y/t~0", path: "/spec/moved" },
      { op: "test", path: "/spec/ports/1", value: { port: 443 } },
    ]);
    assert.deepEqual(result, {
      metadata: { labels: { a: "one", b: "2", c: "one" } },
      spec: { ports: [{ port: 53 }, { port: 443 }, { port: 8080 }], "x/y": {}, moved: 1 },
    });
  });

  it("adds a missing object key on replace, as the library kube uses does", () => {
    assert.deepEqual(applyJsonPatch({ a: {} }, [{ op: "replace", path: "/a/b", value: 1 }]), { a: { b: 1 } });
  });

  it("does not modify the target when an operation fails", () => {
    const target = doc();
    assert.throws(() =>
      applyJsonPatch(target, [
        { op: "remove", path: "/metadata/labels/a" },
        { op: "remove", path: "/nope/x" },
      ]),
    );
    assert.deepEqual(target, doc());
  });

  it("answers 422 with kube's generic message, keeping the library's reason as detail", () => {
    const cases: [unknown, string][] = [
      [
        [{ op: "remove", path: "/metadata/labels/zz" }],
        "error in remove for path: '/metadata/labels/zz': Unable to remove nonexistent key: zz: missing value",
      ],
      [
        [{ op: "add", path: "/missing/x", value: 1 }],
        'add operation does not apply: doc is missing path: "/missing/x": missing value',
      ],
      [
        [{ op: "remove", path: "/missing/x" }],
        'remove operation does not apply: doc is missing path: "/missing/x": missing value',
      ],
      [
        [{ op: "replace", path: "/spec/ports/5", value: 1 }],
        "replace operation does not apply: doc is missing key: /spec/ports/5: missing value",
      ],
      [
        [{ op: "add", path: "/spec/ports/9", value: 1 }],
        "error in add for path: '/spec/ports/9': Unable to access invalid index: 9: invalid index referenced",
      ],
      [
        [{ op: "add", path: "/spec/ports/x", value: 1 }],
        `error in add for path: '/spec/ports/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
      ],
      [
        [{ op: "test", path: "/metadata/labels/a", value: "2" }],
        "testing value /metadata/labels/a failed: test failed",
      ],
      [
        [{ op: "move", from: "/nope/a", path: "/b" }],
        "move operation does not apply: doc is missing from path: /nope/a: missing value",
      ],
      [
        [{ op: "copy", from: "/spec/ports/7", path: "/b" }],
        "error in copy for from: '/spec/ports/7': Unable to access invalid index: 7: invalid index referenced",
      ],
      [[{ op: "jump", path: "/a" }], "Unexpected kind: jump"],
      [[{ op: "add", value: 1 }], "add operation failed to decode path: missing value"],
    ];
    for (const [ops, detail] of cases) {
      const err = failure(ops);
      assert.equal(err.detail, detail);
      assert.equal(err.message, "the server rejected our request due to an error in our request");
      assert.equal(err.status, 422);
      assert.equal(err.reason, "Invalid");
    }
  });

  it("refuses documents that are not a list of operations with 400", () => {
    const err = failure({ op: "add" });
    assert.equal(err.status, 400);
    assert.equal(err.message, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  });
});
