/**
 * A patch that cannot be applied. `status` is the HTTP code kube-apiserver answers with
 * (400 BadRequest, 422 Invalid or 500 InternalError); `message` is the library's error text.
 */
export class PatchError extends Error {
  readonly code = "PATCH_FAILED";
  override readonly name = "PatchError";
  constructor(
    message: string,
    readonly status: 400 | 422 | 500,
  ) {
    super(message);
  }
}

/**
 * kube-apiserver hides the JSON patch library's error behind this generic 422 message
 * (it builds the Status with NewGenericServerResponse, which drops the detail).
 */
export const JSON_PATCH_REJECTED_MESSAGE = "the server rejected our request due to an error in our request";

/** The 415 message for a patch type a resource does not accept (strategic merge on custom resources). */
export const STRATEGIC_MERGE_UNSUPPORTED_MESSAGE =
  "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
