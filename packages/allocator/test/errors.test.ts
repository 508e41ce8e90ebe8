import assert from "node:assert/strict";
import { it } from "node:test";
import {
  AllocatorError,
  DuplicatePoolError,
  InvalidAddressError,
  InvalidCidrError,
  InvalidPoolError,
  SharedLayoutError,
  UnknownPoolError,
} from "../src/index.js";

const table: [AllocatorError, string, string, RegExp][] = [
  [
    new InvalidPoolError("p", [{ field: "cidr", value: "x", reason: "bad" }]),
    "InvalidPoolError",
    "POOL_INVALID",
    /pool "p" is invalid: cidr: "x": bad/,
  ],
  [
    new InvalidAddressError("1.2", "why"),
    "InvalidAddressError",
    "ADDRESS_INVALID",
    /invalid IP address "1\.2": why/,
  ],
  [new InvalidCidrError("1.2/3", "why"), "InvalidCidrError", "CIDR_INVALID", /invalid CIDR "1\.2\/3": why/],
  [new UnknownPoolError("p"), "UnknownPoolError", "POOL_UNKNOWN", /no pool named "p"/],
  [new DuplicatePoolError("p"), "DuplicatePoolError", "POOL_DUPLICATE", /pool named "p" already exists/],
  [new SharedLayoutError("bad magic"), "SharedLayoutError", "SHARED_LAYOUT", /not usable: bad magic/],
];

for (const [error, name, code, message] of table) {
  it(`${name} has code ${code} and a message that says what went wrong`, () => {
    assert.ok(error instanceof AllocatorError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, name);
    assert.equal(error.code, code);
    assert.match(error.message, message);
  });
}

it("keeps the cause", () => {
  const cause = new Error("root");
  assert.equal(new InvalidAddressError("x", "y", { cause }).cause, cause);
});
