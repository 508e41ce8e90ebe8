// The Kubernetes protobuf envelope: the 4-byte magic "k8s\0", then a runtime.Unknown message
// (1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType) whose raw
// bytes are the object's own message.
import { ProtobufDecodeError, WireReader, WireType } from "./wire.js";

export const protobufMagic = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export function hasProtobufMagic(bytes: Uint8Array): boolean {
  return bytes.length >= protobufMagic.length && protobufMagic.every((b, i) => bytes[i] === b);
}

function expectDelimited(wireType: number, what: string): void {
  if (wireType !== WireType.lengthDelimited)
    throw new ProtobufDecodeError(`wrong wire type ${wireType} for field ${what} of Unknown`);
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!hasProtobufMagic(bytes)) {
    throw new ProtobufDecodeError(
      `provided data does not appear to be a protobuf message, expected prefix [${[...protobufMagic].join(" ")}]`,
    );
  }
  const envelope: Envelope = {
    apiVersion: "",
    kind: "",
    raw: new Uint8Array(0),
    contentEncoding: "",
    contentType: "",
  };
  const reader = new WireReader(bytes, protobufMagic.length);
  for (let tag = reader.tag(); tag; tag = reader.tag()) {
    switch (tag.field) {
      case 1: {
        expectDelimited(tag.wireType, "typeMeta (1)");
        const typeMeta = reader.delimitedReader();
        for (let inner = typeMeta.tag(); inner; inner = typeMeta.tag()) {
          if (inner.field === 1) {
            expectDelimited(inner.wireType, "apiVersion (1)");
            envelope.apiVersion = typeMeta.string();
          } else if (inner.field === 2) {
            expectDelimited(inner.wireType, "kind (2)");
            envelope.kind = typeMeta.string();
          } else typeMeta.skip(inner);
        }
        break;
      }
      case 2:
        expectDelimited(tag.wireType, "raw (2)");
        envelope.raw = reader.bytesField();
        break;
      case 3:
        expectDelimited(tag.wireType, "contentEncoding (3)");
        envelope.contentEncoding = reader.string();
        break;
      case 4:
        expectDelimited(tag.wireType, "contentType (4)");
        envelope.contentType = reader.string();
        break;
      default:
        reader.skip(tag);
    }
  }
  return envelope;
}
