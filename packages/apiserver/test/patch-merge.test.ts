import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyMergePatch, PatchError } from "../src/patch/index.js";

describe("applyMergePatch (RFC 7386)", () => {
  it("merges objects, replaces arrays and deletes on null", () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: "x" };
    const result = applyMergePatch(target, {
      a: { b: null, d: 3 },
      list: [3],
      keep: null,
      added: { x: null, y: 1 },
    });
    assert.deepEqual(result, { a: { c: 2, d: 3 }, list: [3], added: { y: 1 } });
    assert.deepEqual(target, { a: { b: 1, c: 2 }, list: [1, 2], keep: "x" }, "target untouched");
  });

  it("keeps upstream's AssignIPs key as given", () => {
    const config = { spec: { controllers: { loadBalancer: { assignIPs: "AllServices" } } } };
    const result = applyMergePatch(config, {
      spec: { controllers: { loadBalancer: { AssignIPs: "RequestedServicesOnly" } } },
    });
    assert.deepEqual(result.spec, {
      controllers: { loadBalancer: { assignIPs: "AllServices", AssignIPs: "RequestedServicesOnly" } },
    });
  });

  it("replaces a scalar by an object and prunes its nulls", () => {
    assert.deepEqual(applyMergePatch({ a: "s" }, { a: { b: null, c: [null, { d: null }] } }), {
      a: { c: [null, {}] },
    });
  });

  it("refuses a patch that is not an object", () => {
    for (const bad of [null, "x", 3]) {
      assert.throws(
        () => applyMergePatch({}, bad),
        (err) => err instanceof PatchError && err.status === 400 && err.message === "Invalid JSON Patch",
      );
    }
  });
});
