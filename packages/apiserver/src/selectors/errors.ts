/** A selector that does not parse or names an unsupported field; kube-apiserver answers 400 BadRequest with `message`. */
export class SelectorError extends Error {
  readonly code = "SELECTOR_INVALID";
  override readonly name = "SelectorError";
}
