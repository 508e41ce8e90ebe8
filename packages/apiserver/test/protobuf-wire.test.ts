// The protobuf wire format reader and the schema-driven decoder.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTime } from "../src/operations/timestamp.js";
import { decodeMessage, ProtobufDecodeError, WireReader, WireType } from "../src/protobuf/index.js";
import { always, field, message, pointer, repeated } from "../src/protobuf/schema.js";
import { toInt32, toInt64, toUint32, zigZag32, zigZag64 } from "../src/protobuf/wire.js";
import { proto } from "./helpers/protobuf-writer.js";

const reader = (...bytes: number[]) => new WireReader(Uint8Array.from(bytes));

describe("wire reader: varints", () => {
  it("reads one-byte and multi-byte varints", () => {
    assert.equal(reader(0x00).varint(), 0n);
    assert.equal(reader(0x7f).varint(), 127n);
    assert.equal(reader(0xac, 0x02).varint(), 300n);
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0x0f).varint(), 0xffffffffn);
  });

  it("reads the largest 64-bit value and negative numbers as Go writes them (10 bytes)", () => {
    const minusOne = reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).varint();
    assert.equal(minusOne, 0xffffffffffffffffn);
    assert.equal(toInt32(minusOne), -1);
    assert.equal(toInt64(minusOne), -1);
    assert.equal(toUint32(minusOne), 0xffffffff);
    const w = proto((p) => p.varint(1, -5).varint(2, 2n ** 40n));
    const r = new WireReader(w);
    r.tag();
    assert.equal(toInt32(r.varint()), -5);
    r.tag();
    assert.equal(toInt64(r.varint()), 2 ** 40);
  });

  it("decodes zigzag (sint32/sint64)", () => {
    assert.deepEqual(
      [0n, 1n, 2n, 3n, 4294967294n, 4294967295n].map(zigZag32),
      [0, -1, 1, -2, 2147483647, -2147483648],
    );
    assert.deepEqual([0n, 1n, 2n, 3n].map(zigZag64), [0, -1, 1, -2]);
  });

  it("fails on a truncated varint and on one longer than 10 bytes", () => {
    assert.throws(() => reader(0x80).varint(), ProtobufDecodeError);
    assert.throws(() => reader(...new Array(11).fill(0x80), 0x01).varint(), /longer than 10 bytes/);
  });
});

describe("wire reader: fixed words and length-delimited records", () => {
  it("reads fixed32 and fixed64 little-endian", () => {
    assert.equal(reader(0x78, 0x56, 0x34, 0x12).fixed32(), 0x12345678);
    assert.equal(reader(0xff, 0xff, 0xff, 0xff).fixed32(), 0xffffffff);
    assert.equal(reader(1, 0, 0, 0, 0, 0, 0, 0x80).fixed64(), 0x8000000000000001n);
    assert.throws(() => reader(1, 2, 3).fixed32(), /unexpected end/);
    assert.throws(() => reader(1, 2, 3, 4, 5, 6, 7).fixed64(), /unexpected end/);
  });

  it("reads UTF-8 strings and byte views; a length past the end fails", () => {
    const bytes = proto((w) => w.string(1, "héllo ✓").bytes(2, Uint8Array.of(0, 255)));
    const r = new WireReader(bytes);
    assert.deepEqual(r.tag(), { field: 1, wireType: WireType.lengthDelimited });
    assert.equal(r.string(), "héllo ✓");
    r.tag();
    assert.deepEqual([...r.bytesField()], [0, 255]);
    assert.equal(r.tag(), undefined);
    assert.throws(() => reader(0x0a, 0x05, 0x61).string(), /runs past the end/);
  });

  it("rejects field number 0 and wire types 6 and 7", () => {
    assert.throws(() => reader(0x02, 0x00).tag(), /field number 0/);
    assert.throws(() => reader(0x0e).tag(), /invalid wire type 6/);
    assert.throws(() => reader(0x0f).tag(), /invalid wire type 7/);
  });

  it("skips fields of every wire type, groups included", () => {
    const bytes = proto((w) =>
      w
        .varint(1, 2n ** 63n)
        .fixed64(2, 7n)
        .string(3, "skip me")
        .fixed32(4, 9)
        .tag(5, WireType.startGroup)
        .varint(1, 1)
        .tag(6, WireType.startGroup)
        .string(2, "nested")
        .tag(6, WireType.endGroup)
        .tag(5, WireType.endGroup)
        .string(7, "kept"),
    );
    const r = new WireReader(bytes);
    for (let tag = r.tag(); tag; tag = r.tag()) {
      if (tag.field === 7) assert.equal(r.string(), "kept");
      else r.skip(tag);
    }
    assert.ok(r.done());
  });

  it("fails on a group ended by another field or never ended", () => {
    const mismatched = new WireReader(proto((w) => w.tag(5, WireType.startGroup).tag(6, WireType.endGroup)));
    assert.throws(() => mismatched.skip(mismatched.tag()!), /ended by field 6/);
    const open = new WireReader(proto((w) => w.tag(5, WireType.startGroup).varint(1, 1)));
    assert.throws(() => open.skip(open.tag()!), /unterminated group/);
    const stray = new WireReader(proto((w) => w.tag(5, WireType.endGroup)));
    assert.throws(() => stray.skip(stray.tag()!), /unexpected end of group/);
  });
});

describe("schema decoding", () => {
  const inner = message("Inner", {
    1: field("a", "string"),
    2: field("b", "int32"),
  });
  const schema = message("Test", {
    1: field("str", "string"),
    2: field("i32", "int32"),
    3: field("i64", "int64"),
    4: field("flag", "bool"),
    5: field("ptrStr", "string", pointer),
    6: field("ptrBool", "bool", pointer),
    7: field("req", "string", always),
    8: field("reqNum", "int32", always),
    9: field("list", "string", repeated),
    10: field("nums", "int32", repeated),
    11: field("labels", "stringMap"),
    12: field("inner", inner),
    13: field("optInner", inner, pointer),
    14: field("items", inner, repeated),
    15: field("created", "time"),
    16: field("renewed", "microTime"),
    17: field("target", "intOrString"),
    18: field("u32", "uint32"),
    19: field("s32", "sint32"),
    20: field("f32", "fixed32"),
    21: field("sf64", "sfixed64"),
    22: field("dbl", "double"),
    23: field("flt", "float"),
    24: field("blob", "bytes"),
  });

  it("leaves out zero omitempty scalars, keeps set pointers and always-fields", () => {
    const out = decodeMessage(
      schema,
      proto((w) => w.string(1, "").varint(2, 0).varint(3, 0).varint(4, false).string(5, "").varint(6, false)),
    );
    assert.deepEqual(out, { ptrBool: false, ptrStr: "", req: "", reqNum: 0, inner: {} });
  });

  it("decodes scalars of every type", () => {
    const f32 = Buffer.alloc(4);
    f32.writeFloatLE(1.5);
    const f64 = Buffer.alloc(8);
    f64.writeDoubleLE(-2.25);
    const out = decodeMessage(
      schema,
      proto((w) =>
        w
          .string(1, "s")
          .varint(2, -7)
          .varint(3, 1234567890123)
          .varint(4, true)
          .varint(18, 4000000000)
          .varint(19, 5)
          .fixed32(20, 0xfffffffe)
          .fixed64(21, -3n)
          .fixed64(22, f64.readBigUInt64LE())
          .fixed32(23, f32.readUInt32LE())
          .bytes(24, Uint8Array.of(1, 2, 3)),
      ),
    );
    assert.deepEqual(out, {
      str: "s",
      i32: -7,
      i64: 1234567890123,
      flag: true,
      req: "",
      reqNum: 0,
      inner: {},
      u32: 4000000000,
      s32: -3,
      f32: 0xfffffffe,
      sf64: -3,
      dbl: -2.25,
      flt: 1.5,
      blob: "AQID",
    });
  });

  it("collects repeated fields, packed or not, and map entries; last scalar wins", () => {
    const out = decodeMessage(
      schema,
      proto((w) =>
        w
          .string(1, "first")
          .string(1, "last")
          .string(9, "a")
          .string(9, "b")
          .varint(10, 1)
          .message(10, (p) => p.raw(2, 3, 0xac, 0x02))
          .map(11, { app: "web", tier: "" })
          .message(11, (e) => e.string(2, "no key")),
      ),
    );
    assert.equal(out.str, "last");
    assert.deepEqual(out.list, ["a", "b"]);
    assert.deepEqual(out.nums, [1, 2, 3, 300]);
    assert.deepEqual(out.labels, { app: "web", tier: "", "": "no key" });
  });

  it("merges a message field seen twice; repeated messages are separate items", () => {
    const out = decodeMessage(
      schema,
      proto((w) =>
        w
          .message(12, (m) => m.string(1, "x"))
          .message(12, (m) => m.varint(2, 4))
          .message(13, () => {})
          .message(14, (m) => m.string(1, "one"))
          .message(14, (m) => m.varint(2, 2)),
      ),
    );
    assert.deepEqual(out.inner, { a: "x", b: 4 });
    assert.deepEqual(out.optInner, {});
    assert.deepEqual(out.items, [{ a: "one" }, { b: 2 }]);
  });

  it("writes Time as RFC 3339 seconds, MicroTime with microseconds; zero time is left out", () => {
    const seconds = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
    const out = decodeMessage(
      schema,
      proto((w) =>
        w
          .message(15, (t) => t.varint(1, seconds).varint(2, 999_000_000))
          .message(16, (t) => t.varint(1, seconds).varint(2, 1_234_567)),
      ),
    );
    assert.equal(out.created, "2024-01-02T03:04:05Z");
    assert.equal(out.renewed, "2024-01-02T03:04:05.001234Z");
    const zero = decodeMessage(
      schema,
      proto((w) => w.message(15, () => {}).message(16, () => {})),
    );
    assert.equal("created" in zero, false);
    assert.equal("renewed" in zero, false);
    assert.equal(formatTime(0, 0, false), "1970-01-01T00:00:00Z");
  });

  it("writes IntOrString as a number or a string", () => {
    const int = decodeMessage(
      schema,
      proto((w) => w.message(17, (v) => v.varint(1, 0).varint(2, 8080).string(3, ""))),
    );
    assert.equal(int.target, 8080);
    const str = decodeMessage(
      schema,
      proto((w) => w.message(17, (v) => v.varint(1, 1).varint(2, 0).string(3, "http"))),
    );
    assert.equal(str.target, "http");
  });

  it("skips unknown fields and fails on a known field of the wrong wire type", () => {
    const out = decodeMessage(
      schema,
      proto((w) => w.string(99, "future").varint(98, 1).string(1, "kept")),
    );
    assert.equal(out.str, "kept");
    assert.throws(
      () =>
        decodeMessage(
          schema,
          proto((w) => w.varint(1, 3)),
        ),
      /wrong wire type 0 for field str \(1\) of Test/,
    );
    assert.throws(
      () =>
        decodeMessage(
          schema,
          proto((w) => w.string(2, "x")),
        ),
      /wrong wire type 2 for field i32 \(2\) of Test/,
    );
    assert.throws(
      () =>
        decodeMessage(
          schema,
          proto((w) => w.varint(12, 1)),
        ),
      /field inner \(12\)/,
    );
  });

  it("fails on a truncated embedded message", () => {
    assert.throws(
      () => decodeMessage(schema, Uint8Array.of(0x62, 0x04, 0x0a, 0x05, 0x61, 0x62)),
      ProtobufDecodeError,
    );
  });
});
