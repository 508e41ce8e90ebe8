import type { FieldCause } from "../types.js";

/** A CustomResourceDefinition that kube-apiserver would refuse; `causes` say why, as a 422 `Invalid` does. */
export class InvalidCrdError extends Error {
  readonly code = "CRD_INVALID";
  override readonly name = "InvalidCrdError";
  readonly causes: FieldCause[];

  constructor(crdName: string, causes: FieldCause[]) {
    const listed = causes.map((cause) => `${cause.field}: ${cause.message}`);
    // kube-apiserver brackets the list only when there is more than one error.
    const summary = listed.length === 1 ? listed[0] : `[${listed.join(", ")}]`;
    super(`CustomResourceDefinition.apiextensions.k8s.io "${crdName}" is invalid: ${summary}`);
    this.causes = causes;
  }
}
