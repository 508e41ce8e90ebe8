// JSON with exact int64 integers, as apimachinery/pkg/util/json decodes them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { narrowIntegers, parseJsonExact, stringifyJson } from "../src/http/json.js";

describe("parseJsonExact", () => {
  it("keeps int64 integers past 2^53 exact and everything else as JSON.parse reads it", () => {
    const text =
      '{"a":1764493800123456793,"b":[-9223372036854775808,9223372036854775807],"c":9223372036854775808,"d":1.5e3,"e":"12345678901234567890","f":1234567890123456.0,"g":{"__proto__":{"x":true}},"h":"\\"\\u00e9","i":[],"j":{}, "k" : null }';
    const parsed = parseJsonExact(text) as Record<string, unknown>;
    assert.equal(parsed.a, 1764493800123456793n);
    assert.deepEqual(parsed.b, [-(2n ** 63n), 2n ** 63n - 1n]);
    // Past int64 kube decodes a float64.
    assert.equal(parsed.c, 2 ** 63);
    assert.equal(parsed.d, 1500);
    assert.equal(parsed.e, "12345678901234567890");
    assert.equal(parsed.f, 1234567890123456);
    assert.deepEqual(Object.keys(parsed.g as object), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(parsed.g), Object.prototype);
    assert.equal(parsed.h, '"é');
    assert.deepEqual([parsed.i, parsed.j, parsed.k], [[], {}, null]);
  });

  it("fails as JSON.parse does", () => {
    assert.throws(() => parseJsonExact("{1764493800123456793}"), SyntaxError);
  });
});

describe("narrowIntegers", () => {
  it("turns YAML's bigints back into numbers where they are exact", () => {
    assert.deepEqual(narrowIntegers({ a: [1n, 1764493800123456793n], b: "x", c: 2 ** 64 }), {
      a: [1, 1764493800123456793n],
      b: "x",
      c: 2 ** 64,
    });
  });
});

describe("stringifyJson", () => {
  it("writes bigints as JSON integers, and strings that look like the marker stay strings", () => {
    assert.equal(
      stringifyJson({ a: 1764493800123456793n, b: ["-1"] }),
      '{"a":1764493800123456793,"b":["-1"]}',
    );
    assert.equal(stringifyJson({ a: 1 }), '{"a":1}');
  });
});
