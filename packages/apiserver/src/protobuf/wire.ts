// The protobuf wire format, read side: varints, fixed 32/64-bit words and length-delimited
// records, with unknown fields skipped by their wire type.

export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

export type WireTypeNumber = (typeof WireType)[keyof typeof WireType];

/** A malformed protobuf message (truncated, bad varint, bad wire type...). */
export class ProtobufDecodeError extends Error {
  override readonly name = "ProtobufDecodeError";
}

export interface FieldTag {
  field: number;
  wireType: WireTypeNumber;
}

const maxGroupDepth = 100;

/** Reads one protobuf message from `bytes[start, end)`. */
export class WireReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    if (start < 0 || end > bytes.length || start > end) throw new RangeError("bad reader bounds");
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new ProtobufDecodeError(`unexpected end of message at byte ${this.pos}`);
    return this.bytes[this.pos++]!;
  }

  /** A varint as an unsigned 64-bit bigint. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A varint that must fit a non-negative safe integer (tags and lengths). */
  smallVarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ProtobufDecodeError(`length or tag too large at byte ${this.pos}`);
  }

  /** A 32-bit little-endian word, unsigned. */
  fixed32(): number {
    if (this.end - this.pos < 4)
      throw new ProtobufDecodeError(`unexpected end of message at byte ${this.pos}`);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  /** A 64-bit little-endian word, unsigned. */
  fixed64(): bigint {
    const low = BigInt(this.fixed32());
    const high = BigInt(this.fixed32());
    return (high << 32n) | low;
  }

  /** The bounds of a length-delimited record's payload; the reader moves past it. */
  delimited(): { start: number; end: number } {
    const length = this.smallVarint();
    const start = this.pos;
    if (length > this.end - start)
      throw new ProtobufDecodeError(`length ${length} at byte ${start} runs past the end of the message`);
    this.pos = start + length;
    return { start, end: this.pos };
  }

  /** A reader over a length-delimited payload (an embedded message); this one moves past it. */
  delimitedReader(): WireReader {
    const { start, end } = this.delimited();
    return new WireReader(this.bytes, start, end);
  }

  /** A length-delimited payload as a view on the same bytes. */
  bytesField(): Uint8Array {
    const { start, end } = this.delimited();
    return this.bytes.subarray(start, end);
  }

  /** A length-delimited payload read as UTF-8 text. */
  string(): string {
    return utf8.decode(this.bytesField());
  }

  /** The next field tag, or undefined at the end of the message. */
  tag(): FieldTag | undefined {
    if (this.done()) return undefined;
    const at = this.pos;
    const key = this.smallVarint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new ProtobufDecodeError(`field number 0 at byte ${at}`);
    if (wireType > 5) throw new ProtobufDecodeError(`invalid wire type ${wireType} at byte ${at}`);
    return { field, wireType: wireType as WireTypeNumber };
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: FieldTag, depth = 0): void {
    switch (tag.wireType) {
      case WireType.varint:
        this.varint();
        return;
      case WireType.fixed64:
        this.fixed64();
        return;
      case WireType.lengthDelimited:
        this.delimited();
        return;
      case WireType.fixed32:
        this.fixed32();
        return;
      case WireType.startGroup: {
        if (depth >= maxGroupDepth) throw new ProtobufDecodeError("groups nested too deeply");
        for (;;) {
          const inner = this.tag();
          if (!inner) throw new ProtobufDecodeError(`unterminated group for field ${tag.field}`);
          if (inner.wireType === WireType.endGroup) {
            if (inner.field !== tag.field)
              throw new ProtobufDecodeError(`group for field ${tag.field} ended by field ${inner.field}`);
            return;
          }
          this.skip(inner, depth + 1);
        }
      }
      case WireType.endGroup:
        throw new ProtobufDecodeError(`unexpected end of group for field ${tag.field}`);
    }
  }
}

const utf8 = new TextDecoder("utf-8");

/** Signed views of a decoded varint or fixed word. */
export function toInt32(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

export function toUint32(value: bigint): number {
  return Number(BigInt.asUintN(32, value));
}

/** int64 as a JS number (exact up to 2^53, as JSON numbers are read by clients anyway). */
export function toInt64(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

export function toUint64(value: bigint): number {
  return Number(BigInt.asUintN(64, value));
}

export function zigZag32(value: bigint): number {
  const n = BigInt.asUintN(32, value);
  return Number(n >> 1n) * (n & 1n ? -1 : 1) - (n & 1n ? 1 : 0);
}

export function zigZag64(value: bigint): number {
  const n = BigInt.asUintN(64, value);
  return Number((n >> 1n) ^ -(n & 1n));
}
