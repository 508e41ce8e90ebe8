import { ApiServerError } from "../errors.js";

/** A selector that does not parse or names an unsupported field; kube-apiserver answers 400 BadRequest with `message`. */
export class SelectorError extends ApiServerError {
  constructor(message: string) {
    super(message, "LBIPAM_APISERVER_SELECTOR_INVALID");
  }
}
