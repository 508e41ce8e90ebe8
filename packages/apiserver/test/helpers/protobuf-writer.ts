// A tiny protobuf writer for tests: builds the bodies kubectl and client-go send.
import { protobufMagic } from "../../src/protobuf/index.js";

export class ProtoWriter {
  private readonly parts: number[] = [];

  private rawVarint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.parts.push(byte);
    } while (v !== 0n);
  }

  tag(field: number, wireType: number): this {
    this.rawVarint(BigInt(field * 8 + wireType));
    return this;
  }

  /** A varint field; negative numbers are written as 64-bit two's complement, as Go does. */
  varint(field: number, value: number | bigint | boolean): this {
    this.tag(field, 0);
    this.rawVarint(typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value));
    return this;
  }

  fixed32(field: number, value: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    this.parts.push(...b);
    return this;
  }

  fixed64(field: number, value: bigint): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, value));
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(BigInt(value.length));
    this.parts.push(...value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, "utf8"));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A map<string, string> field: one entry message per key. */
  map(field: number, entries: Record<string, string>): this {
    for (const [k, v] of Object.entries(entries)) this.message(field, (e) => e.string(1, k).string(2, v));
    return this;
  }

  /** Bytes appended as they are (for malformed input). */
  raw(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function proto(build: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  build(w);
  return w.finish();
}

/** The Kubernetes envelope: magic, then runtime.Unknown{typeMeta, raw, "", ""}. */
export function envelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const unknown = proto((w) =>
    w
      .message(1, (t) => t.string(1, apiVersion).string(2, kind))
      .bytes(2, raw)
      .string(3, "")
      .string(4, ""),
  );
  return Uint8Array.from([...protobufMagic, ...unknown]);
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}
