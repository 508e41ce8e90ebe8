import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiServerError } from "../src/errors.js";
import { AllocationError } from "../src/kinds/index.js";
import { PatchError } from "../src/patch/index.js";
import { SelectorError } from "../src/selectors/index.js";

describe("errors of the kind, patch and selector modules", () => {
  const cases: [Error, string, string][] = [
    [new AllocationError("full", "range is full"), "LBIPAM_APISERVER_ALLOCATION_FAILED", "range is full"],
    [
      new PatchError("Invalid JSON Patch", 400, "BadRequest"),
      "LBIPAM_APISERVER_PATCH_FAILED",
      "Invalid JSON Patch",
    ],
    [
      new SelectorError("field label not supported: x"),
      "LBIPAM_APISERVER_SELECTOR_INVALID",
      "field label not supported: x",
    ],
  ];
  for (const [error, code, message] of cases) {
    it(`${error.constructor.name} carries ${code}`, () => {
      assert.ok(error instanceof ApiServerError);
      assert.equal((error as ApiServerError).code, code);
      assert.equal(error.message, message);
      assert.equal(error.name, error.constructor.name);
    });
  }

  it("keeps the library's text as a PatchError's detail unless given one", () => {
    assert.equal(new PatchError("m", 500, "Unknown").detail, "m");
    assert.equal(new PatchError("m", 422, "Invalid", "d").detail, "d");
  });
});
