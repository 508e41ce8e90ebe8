// Decoding a protobuf message with a schema into the JSON object Go's encoding/json would
// write for the same Go value (see schema.ts for the presence rules).
import { formatTime } from "../operations/timestamp.js";
import type { FieldSchema, MessageSchema, ScalarType } from "./schema.js";
import {
  type FieldTag,
  ProtobufDecodeError,
  toInt32,
  toInt64,
  toUint32,
  toUint64,
  WireReader,
  WireType,
  type WireTypeNumber,
  zigZag32,
  zigZag64,
} from "./wire.js";

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** Field number -> what was read so far for it. */
type Accumulator = Map<number, Slot>;

type Slot =
  | { kind: "scalar"; value: JsonValue }
  | { kind: "list"; values: JsonValue[] }
  | { kind: "message"; fields: Accumulator }
  | { kind: "map"; entries: Map<string, string> }
  | { kind: "special"; value: JsonValue | undefined };

const varintTypes = new Set<ScalarType>(["bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64"]);
const fixed64Types = new Set<ScalarType>(["fixed64", "sfixed64", "double"]);
const fixed32Types = new Set<ScalarType>(["fixed32", "sfixed32", "float"]);

function scalarWireType(type: ScalarType): WireTypeNumber {
  if (varintTypes.has(type)) return WireType.varint;
  if (fixed64Types.has(type)) return WireType.fixed64;
  if (fixed32Types.has(type)) return WireType.fixed32;
  return WireType.lengthDelimited;
}

const floatView = new DataView(new ArrayBuffer(8));

function readScalar(reader: WireReader, type: ScalarType): JsonValue {
  switch (type) {
    case "string":
      return reader.string();
    case "bytes":
      return Buffer.from(reader.bytesField()).toString("base64");
    case "bool":
      return reader.varint() !== 0n;
    case "int32":
      return toInt32(reader.varint());
    case "int64":
      return toInt64(reader.varint());
    case "uint32":
      return toUint32(reader.varint());
    case "uint64":
      return toUint64(reader.varint());
    case "sint32":
      return zigZag32(reader.varint());
    case "sint64":
      return zigZag64(reader.varint());
    case "fixed32":
      return reader.fixed32();
    case "sfixed32":
      return reader.fixed32() | 0;
    case "float":
      floatView.setUint32(0, reader.fixed32(), true);
      return floatView.getFloat32(0, true);
    case "fixed64":
      return toUint64(reader.fixed64());
    case "sfixed64":
      return toInt64(reader.fixed64());
    case "double":
      floatView.setBigUint64(0, reader.fixed64(), true);
      return floatView.getFloat64(0, true);
  }
}

function isZero(value: JsonValue): boolean {
  return value === "" || value === 0 || value === false;
}

function zeroOf(type: ScalarType): JsonValue {
  if (type === "string" || type === "bytes") return "";
  if (type === "bool") return false;
  return 0;
}

function wrongWireType(schema: MessageSchema, spec: FieldSchema, number: number, tag: FieldTag): never {
  throw new ProtobufDecodeError(
    `wrong wire type ${tag.wireType} for field ${spec.json} (${number}) of ${schema.name}`,
  );
}

// metav1.Time keeps whole seconds (as its JSON form does); MicroTime keeps microseconds.
function readTimestamp(reader: WireReader, micro: boolean): JsonValue | undefined {
  const inner = reader.delimitedReader();
  // An empty message is Go's zero time, which JSON writes as null: left out.
  if (inner.done()) return undefined;
  let seconds = 0;
  let nanos = 0;
  for (let tag = inner.tag(); tag; tag = inner.tag()) {
    if (tag.field === 1 && tag.wireType === WireType.varint) seconds = toInt64(inner.varint());
    else if (tag.field === 2 && tag.wireType === WireType.varint) nanos = toInt32(inner.varint());
    else inner.skip(tag);
  }
  const text = formatTime(seconds, micro ? nanos : 0, micro);
  if (text === undefined) throw new ProtobufDecodeError(`time out of range: ${seconds}s`);
  return text;
}

function readIntOrString(reader: WireReader): JsonValue {
  const inner = reader.delimitedReader();
  let type = 0;
  let intVal = 0;
  let strVal = "";
  for (let tag = inner.tag(); tag; tag = inner.tag()) {
    if (tag.field === 1 && tag.wireType === WireType.varint) type = toInt64(inner.varint());
    else if (tag.field === 2 && tag.wireType === WireType.varint) intVal = toInt32(inner.varint());
    else if (tag.field === 3 && tag.wireType === WireType.lengthDelimited) strVal = inner.string();
    else inner.skip(tag);
  }
  return type === 1 ? strVal : intVal;
}

function readMapEntry(reader: WireReader): [string, string] {
  const inner = reader.delimitedReader();
  let key = "";
  let value = "";
  for (let tag = inner.tag(); tag; tag = inner.tag()) {
    if (tag.field === 1 && tag.wireType === WireType.lengthDelimited) key = inner.string();
    else if (tag.field === 2 && tag.wireType === WireType.lengthDelimited) value = inner.string();
    else inner.skip(tag);
  }
  return [key, value];
}

function readInto(schema: MessageSchema, reader: WireReader, acc: Accumulator): void {
  for (let tag = reader.tag(); tag; tag = reader.tag()) {
    const spec = schema.fields.get(tag.field);
    if (!spec) {
      reader.skip(tag);
      continue;
    }
    const { type } = spec;
    if (typeof type === "object") {
      if (tag.wireType !== WireType.lengthDelimited) wrongWireType(schema, spec, tag.field, tag);
      const inner = reader.delimitedReader();
      if (spec.repeated) {
        const fields: Accumulator = new Map();
        readInto(type, inner, fields);
        const slot = listSlot(acc, tag.field);
        slot.values.push(finish(type, fields));
      } else {
        // A message field seen twice is merged, as protobuf does.
        let slot = acc.get(tag.field);
        if (slot?.kind !== "message") {
          slot = { kind: "message", fields: new Map() };
          acc.set(tag.field, slot);
        }
        readInto(type, inner, slot.fields);
      }
      continue;
    }
    if (type === "stringMap") {
      if (tag.wireType !== WireType.lengthDelimited) wrongWireType(schema, spec, tag.field, tag);
      let slot = acc.get(tag.field);
      if (slot?.kind !== "map") {
        slot = { kind: "map", entries: new Map() };
        acc.set(tag.field, slot);
      }
      const [key, value] = readMapEntry(reader);
      slot.entries.set(key, value);
      continue;
    }
    if (type === "time" || type === "microTime" || type === "intOrString") {
      if (tag.wireType !== WireType.lengthDelimited) wrongWireType(schema, spec, tag.field, tag);
      const value =
        type === "intOrString" ? readIntOrString(reader) : readTimestamp(reader, type === "microTime");
      if (spec.repeated) {
        if (value !== undefined) listSlot(acc, tag.field).values.push(value);
      } else acc.set(tag.field, { kind: "special", value });
      continue;
    }
    const expected = scalarWireType(type);
    if (spec.repeated) {
      const slot = listSlot(acc, tag.field);
      if (tag.wireType === expected) slot.values.push(readScalar(reader, type));
      else if (tag.wireType === WireType.lengthDelimited && expected !== WireType.lengthDelimited) {
        // Packed repeated numbers.
        const packed = reader.delimitedReader();
        while (!packed.done()) slot.values.push(readScalar(packed, type));
      } else wrongWireType(schema, spec, tag.field, tag);
      continue;
    }
    if (tag.wireType !== expected) wrongWireType(schema, spec, tag.field, tag);
    acc.set(tag.field, { kind: "scalar", value: readScalar(reader, type) });
  }
}

function listSlot(acc: Accumulator, number: number): { kind: "list"; values: JsonValue[] } {
  let slot = acc.get(number);
  if (slot?.kind !== "list") {
    slot = { kind: "list", values: [] };
    acc.set(number, slot);
  }
  return slot;
}

function finish(schema: MessageSchema, acc: Accumulator): JsonObject {
  const out: JsonObject = {};
  for (const [number, spec] of schema.fields) {
    const slot = acc.get(number);
    const presence = spec.presence ?? "omitempty";
    const { type } = spec;
    if (spec.repeated) {
      if (slot?.kind === "list" && slot.values.length > 0) out[spec.json] = slot.values;
      continue;
    }
    if (typeof type === "object") {
      if (slot?.kind === "message") out[spec.json] = finish(type, slot.fields);
      else if (presence !== "pointer") out[spec.json] = finish(type, new Map());
      continue;
    }
    if (type === "stringMap") {
      if (slot?.kind === "map" && slot.entries.size > 0) out[spec.json] = Object.fromEntries(slot.entries);
      continue;
    }
    if (type === "time" || type === "microTime" || type === "intOrString") {
      if (slot?.kind === "special" && slot.value !== undefined) out[spec.json] = slot.value;
      continue;
    }
    if (slot?.kind === "scalar") {
      if (presence !== "omitempty" || !isZero(slot.value)) out[spec.json] = slot.value;
    } else if (presence === "always") out[spec.json] = zeroOf(type);
  }
  return out;
}

/** Decodes `bytes` (one whole message) with `schema`. */
export function decodeMessage(schema: MessageSchema, bytes: Uint8Array): JsonObject {
  const acc: Accumulator = new Map();
  readInto(schema, new WireReader(bytes), acc);
  return finish(schema, acc);
}
