// How a protobuf message maps to the JSON that Go's encoding/json would write for the same Go
// struct: the JSON name of each field number, its type, and when the JSON carries it.

export type ScalarType =
  | "string"
  | "bytes"
  | "bool"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "sint32"
  | "sint64"
  | "fixed32"
  | "fixed64"
  | "sfixed32"
  | "sfixed64"
  | "float"
  | "double";

/**
 * Types with a JSON form of their own: metav1.Time (RFC 3339, seconds), metav1.MicroTime
 * (RFC 3339 with microseconds), intstr.IntOrString (a number or a string) and
 * map<string, string>.
 */
export type SpecialType = "time" | "microTime" | "intOrString" | "stringMap";

/**
 * When the JSON carries a field, after Go's rules:
 * - "omitempty" (the default): a scalar only when not zero, a list or map only when not empty;
 *   a message always (Go writes a struct field even with omitempty), times only when set;
 * - "pointer": whenever the message carried the field (Go pointer fields are sent only when
 *   set, and a set pointer is written even when it points to a zero value);
 * - "always": a scalar without omitempty, written with its zero value when absent.
 */
export type Presence = "omitempty" | "pointer" | "always";

export interface FieldSchema {
  json: string;
  type: ScalarType | SpecialType | MessageSchema;
  repeated?: boolean;
  presence?: Presence;
}

export interface MessageSchema {
  /** The proto message name, for error messages. */
  name: string;
  fields: ReadonlyMap<number, FieldSchema>;
}

export function message(name: string, fields: Record<number, FieldSchema>): MessageSchema {
  return { name, fields: new Map(Object.entries(fields).map(([n, f]) => [Number(n), f])) };
}

type Options = Pick<FieldSchema, "repeated" | "presence">;

export const field = (json: string, type: FieldSchema["type"], options: Options = {}): FieldSchema => ({
  json,
  type,
  ...options,
});

export const pointer: Options = { presence: "pointer" };
export const always: Options = { presence: "always" };
export const repeated: Options = { repeated: true };
