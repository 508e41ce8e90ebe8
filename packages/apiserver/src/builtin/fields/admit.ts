// Admission of a built-in kind preceded by its decoder's behaviour: unknown fields dropped and
// reported (the server turns them into a 400 or Warning headers per fieldValidation).
import type { AdmitRequest, AdmitResult } from "../../registry/resource-type.js";
import { type FieldTree, pruneUnknownFields } from "./tree.js";

export function withKnownFields(tree: FieldTree, admit: (request: AdmitRequest) => AdmitResult) {
  return (request: AdmitRequest): AdmitResult => {
    const { value, unknown } = pruneUnknownFields(request.object, tree);
    const result = admit({ ...request, object: value });
    return { ...result, unknownFields: [...unknown, ...result.unknownFields] };
  };
}
