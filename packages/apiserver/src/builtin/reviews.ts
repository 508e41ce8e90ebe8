// authentication.k8s.io/v1 TokenReview and authorization.k8s.io/v1 SubjectAccessReview: created,
// never stored, answered with the object and the status the AccessPolicy gives it, as
// kube-apiserver's pkg/registry/authentication/tokenreview/storage.go and
// pkg/registry/authorization/subjectaccessreview/rest.go do (its validation:
// pkg/apis/authorization/validation/validation.go ValidateSubjectAccessReviewSpec).
import type { AccessAttributes, AccessPolicy } from "../access.js";
import { BadRequestError, InvalidError } from "../errors.js";
import { isPlainObject } from "../http/body.js";
import type { OperationContext, OperationResult } from "../operations/context.js";
import { readObject } from "../operations/write-request.js";
import { defineType } from "../registry/define.js";
import type { ResourceType } from "../registry/resource-type.js";
import type { FieldCause, KubeObject } from "../types.js";
import { invalid } from "../validation/index.js";

const AUTHENTICATION_GROUP = "authentication.k8s.io";
const AUTHORIZATION_GROUP = "authorization.k8s.io";

function specOf(object: KubeObject): Record<string, unknown> {
  return isPlainObject(object.spec) ? object.spec : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Go's zero value for an absent ObjectMeta is what kube answers with. */
function answer(object: KubeObject, spec: Record<string, unknown>, status: object): KubeObject {
  return { ...object, metadata: object.metadata ?? {}, spec, status };
}

function tokenReview(object: KubeObject, policy: AccessPolicy): KubeObject {
  const spec = specOf(object);
  if (spec.token !== undefined && typeof spec.token !== "string") {
    throw new BadRequestError(
      'TokenReview in version "v1" cannot be handled as a TokenReview: spec.token must be a string',
    );
  }
  const token = text(spec.token);
  if (token === "") throw new BadRequestError("token is required for TokenReview in authentication");
  const user = policy.authenticate(token);
  // `authenticated` is omitted when false and `user` is then empty, as in kube's JSON.
  return answer(
    object,
    spec,
    user ? { authenticated: true, user } : { user: {}, error: "invalid bearer token" },
  );
}

function accessAttributes(spec: Record<string, unknown>): AccessAttributes | FieldCause[] {
  const resource = spec.resourceAttributes;
  const nonResource = spec.nonResourceAttributes;
  const causes: FieldCause[] = [];
  if ((resource === undefined) === (nonResource === undefined)) {
    causes.push(
      invalid(
        "spec",
        nonResource ?? null,
        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
      ),
    );
  }
  const groups = Array.isArray(spec.groups) ? spec.groups : [];
  if (text(spec.user) === "" && groups.length === 0) {
    causes.push(invalid("spec.user", text(spec.user), "at least one of user or group must be specified"));
  }
  if (causes.length > 0) return causes;
  if (isPlainObject(nonResource)) {
    return { kind: "nonResource", verb: text(nonResource.verb), path: text(nonResource.path) };
  }
  const attributes = isPlainObject(resource) ? resource : {};
  return {
    kind: "resource",
    verb: text(attributes.verb),
    group: text(attributes.group),
    resource: text(attributes.resource),
    subresource: text(attributes.subresource),
    name: text(attributes.name),
  };
}

function subjectAccessReview(object: KubeObject, policy: AccessPolicy): KubeObject {
  const spec = specOf(object);
  const attributes = accessAttributes(spec);
  if (Array.isArray(attributes)) {
    throw new InvalidError("SubjectAccessReview", AUTHORIZATION_GROUP, "", attributes);
  }
  const groups = (Array.isArray(spec.groups) ? spec.groups : []).filter(
    (group): group is string => typeof group === "string",
  );
  const { allowed, reason } = policy.authorize(text(spec.user), groups, attributes);
  return answer(object, spec, { allowed, reason });
}

/** A create that stores nothing: the object sent, answered with what `decide` makes of it. */
function reviewOf(decide: (object: KubeObject) => KubeObject) {
  return async (ctx: OperationContext): Promise<OperationResult> => ({
    status: 201,
    body: decide(await readObject(ctx)),
  });
}

export function reviewTypes(policy: AccessPolicy): ResourceType[] {
  const names = { shortNames: [], categories: [], namespaced: false };
  return [
    defineType(
      {
        group: AUTHENTICATION_GROUP,
        version: "v1",
        resource: "tokenreviews",
        kind: "TokenReview",
        listKind: "TokenReviewList",
        singular: "tokenreview",
        ...names,
      },
      { review: reviewOf((object) => tokenReview(object, policy)) },
    ),
    defineType(
      {
        group: AUTHORIZATION_GROUP,
        version: "v1",
        resource: "subjectaccessreviews",
        kind: "SubjectAccessReview",
        listKind: "SubjectAccessReviewList",
        singular: "subjectaccessreview",
        ...names,
      },
      { review: reviewOf((object) => subjectAccessReview(object, policy)) },
    ),
  ];
}
