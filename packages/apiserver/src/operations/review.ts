// Creating a review (TokenReview, SubjectAccessReview): the answer is computed, nothing is stored.
import type { KubeObject } from "../types.js";
import type { OperationContext, OperationResult } from "./context.js";
import { readObject } from "./write-request.js";

export async function createReview(
  ctx: OperationContext,
  review: (object: KubeObject) => KubeObject,
): Promise<OperationResult> {
  return { status: 201, body: review(await readObject(ctx)) };
}
