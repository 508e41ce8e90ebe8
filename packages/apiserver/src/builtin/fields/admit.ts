// Admission of a built-in kind preceded by its decoder's behaviour: unknown fields dropped and
// reported (the server turns them into a 400 or Warning headers per fieldValidation), times
// parsed as Go parses them.
import { ObjectDecodeError } from "../../errors.js";
import { TimeParseError } from "../../operations/timestamp.js";
import type { AdmitRequest, AdmitResult } from "../../registry/resource-type.js";
import { type FieldTree, readAsStructs } from "./tree.js";

export function withKnownFields(tree: FieldTree, admit: (request: AdmitRequest) => AdmitResult) {
  return (request: AdmitRequest): AdmitResult => {
    let read: ReturnType<typeof readAsStructs<AdmitRequest["object"]>>;
    try {
      read = readAsStructs(request.object, tree);
    } catch (error) {
      if (!(error instanceof TimeParseError)) throw error;
      const { kind = "", apiVersion = "" } = request.object;
      throw new ObjectDecodeError(kind, apiVersion.split("/").pop()!, error.message);
    }
    const result = admit({ ...request, object: read.value });
    return { ...result, unknownFields: [...read.unknown, ...result.unknownFields] };
  };
}
