// behaviour.md "Bounded work for any input": user text is quoted shortened,
// messages are at most 1 KiB of UTF-8, lists name a few and count the rest.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boundedMessage, listSome, MESSAGE_LENGTH, QUOTED_LENGTH, quote, shorten } from "../src/bounded.js";

describe("bounded text", () => {
  it("shortens user text to its first characters, never splitting a surrogate pair", () => {
    assert.equal(shorten("short"), "short");
    assert.equal(shorten("x".repeat(200)), `${"x".repeat(QUOTED_LENGTH)}...`);
    const emoji = `${"a".repeat(QUOTED_LENGTH - 1)}\u{1F600}tail`;
    assert.equal(shorten(emoji), `${"a".repeat(QUOTED_LENGTH - 1)}...`);
    assert.equal(quote('a"b'), '"a\\"b"');
  });

  it("cuts messages to 1 KiB of UTF-8, also when every character takes several bytes", () => {
    assert.equal(boundedMessage("fine"), "fine");
    for (const unit of ["x", "\u00e9", "\u20ac", "\u{1F600}"]) {
      const message = boundedMessage(unit.repeat(5000));
      assert.ok(Buffer.byteLength(message) <= MESSAGE_LENGTH, `${unit}: ${Buffer.byteLength(message)} bytes`);
      assert.ok(message.endsWith("..."));
      assert.ok(Buffer.byteLength(message) > MESSAGE_LENGTH - 8, "cut no shorter than it must be");
      assert.ok(!message.includes("\ufffd"), "no broken character");
    }
    const exact = "y".repeat(MESSAGE_LENGTH);
    assert.equal(boundedMessage(exact), exact);
  });

  it("names the first few problems and counts the rest", () => {
    assert.equal(listSome(["a", "b"]), "a; b");
    assert.equal(listSome(["a", "b", "c", "d", "e"]), "a; b; c; and 2 more");
    const long = listSome(Array.from({ length: 10 }, () => "z".repeat(2000)));
    assert.ok(Buffer.byteLength(long) <= MESSAGE_LENGTH);
  });
});
