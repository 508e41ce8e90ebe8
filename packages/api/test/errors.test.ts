import assert from "node:assert/strict";
import { it } from "node:test";
import { ApiError, SelectorSyntaxError } from "../src/index.js";

const cases: { error: ApiError; type: new (...args: never[]) => ApiError; code: string; message: RegExp }[] =
  [
    {
      error: new ApiError("SOME_CODE", "something"),
      type: ApiError,
      code: "SOME_CODE",
      message: /^something$/,
    },
    {
      error: new SelectorSyntaxError("a ==", 4, "expected a quoted string"),
      type: SelectorSyntaxError,
      code: "SELECTOR_SYNTAX",
      message: /^invalid selector "a ==" at position 4: expected a quoted string$/,
    },
  ];

for (const { error, type, code, message } of cases) {
  it(`${type.name} has code ${code}, its own name and a message`, () => {
    assert.ok(error instanceof ApiError);
    assert.ok(error instanceof Error);
    assert.ok(error instanceof type);
    assert.equal(error.code, code);
    assert.equal(error.name, type.name);
    assert.match(error.message, message);
  });
}

it("SelectorSyntaxError keeps the expression, position and reason", () => {
  const error = new SelectorSyntaxError("x", 1, "why");
  assert.deepEqual([error.expression, error.position, error.reason], ["x", 1, "why"]);
});
