import { ApiServerError } from "../errors.js";

/** How kube-apiserver classifies a failed patch in its Status `reason`. */
export type PatchFailureReason = "BadRequest" | "Invalid" | "Unknown";

/**
 * A patch that cannot be applied, with what kube-apiserver answers: `status` and `reason` for the
 * Status body and `message` as its message. `detail` is the patch library's own text, which the
 * server does not always show (a failed JSON patch operation is reported generically).
 */
export class PatchError extends ApiServerError {
  readonly detail: string;
  constructor(
    message: string,
    readonly status: 400 | 422 | 500,
    readonly reason: PatchFailureReason,
    detail?: string,
  ) {
    super(message, "LBIPAM_APISERVER_PATCH_FAILED");
    this.detail = detail ?? message;
  }
}

/**
 * kube-apiserver hides the JSON patch library's error behind this generic 422 message
 * (it builds the Status with NewGenericServerResponse, which keeps neither the detail nor causes).
 */
export const JSON_PATCH_REJECTED_MESSAGE = "the server rejected our request due to an error in our request";

/** The 415 message for a patch type a resource does not accept (strategic merge on custom resources). */
export const STRATEGIC_MERGE_UNSUPPORTED_MESSAGE =
  "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
