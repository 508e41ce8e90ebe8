// The few protobuf wire-format primitives needed to write a message of strings, booleans and
// nested messages (length-delimited fields), without a protobuf library.

export type Field = { number: number; value: string | boolean | Uint8Array };

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

const lengthDelimited = 2;
const varintType = 0;

/** Encodes fields in the order given; strings and messages are length-delimited, booleans varints. */
export function message(fields: Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { number, value } of fields) {
    if (typeof value === "boolean") {
      parts.push(Uint8Array.from([...varint((number << 3) | varintType), value ? 1 : 0]));
      continue;
    }
    const payload = typeof value === "string" ? new TextEncoder().encode(value) : value;
    parts.push(
      Uint8Array.from([...varint((number << 3) | lengthDelimited), ...varint(payload.length)]),
      payload,
    );
  }
  return Buffer.concat(parts);
}
