import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AlreadyExistsError,
  ApiServerError,
  BadRequestError,
  ConflictError,
  GoneError,
  InternalError,
  InvalidError,
  InvalidOptionError,
  MethodNotSupportedError,
  NotFoundError,
  ObjectDecodeError,
  PathNotFoundError,
  ResourceVersionOnCreateError,
  type StatusError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from "../src/errors.js";

const svc = { resource: "services", group: "", name: "web" };
const pool = { resource: "ippools", group: "projectcalico.org", name: "p1" };

const statusCases: { error: StatusError; code: string; http: number; reason: string; message: string }[] = [
  {
    error: new NotFoundError(svc),
    code: "LBIPAM_APISERVER_NOT_FOUND",
    http: 404,
    reason: "NotFound",
    message: 'services "web" not found',
  },
  {
    error: new NotFoundError(pool),
    code: "LBIPAM_APISERVER_NOT_FOUND",
    http: 404,
    reason: "NotFound",
    message: 'ippools.projectcalico.org "p1" not found',
  },
  {
    error: new PathNotFoundError(),
    code: "LBIPAM_APISERVER_PATH_NOT_FOUND",
    http: 404,
    reason: "NotFound",
    message: "the server could not find the requested resource",
  },
  {
    error: new AlreadyExistsError(svc),
    code: "LBIPAM_APISERVER_ALREADY_EXISTS",
    http: 409,
    reason: "AlreadyExists",
    message: 'services "web" already exists',
  },
  {
    error: new ConflictError(svc),
    code: "LBIPAM_APISERVER_CONFLICT",
    http: 409,
    reason: "Conflict",
    message:
      'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
  },
  {
    error: new InvalidError("IPPool", "projectcalico.org", "p1", [
      { reason: "FieldValueRequired", field: "spec.cidr", message: "Required value" },
    ]),
    code: "LBIPAM_APISERVER_INVALID",
    http: 422,
    reason: "Invalid",
    message: 'IPPool.projectcalico.org "p1" is invalid: spec.cidr: Required value',
  },
  {
    error: new InvalidError("Service", "", "web", [
      { reason: "FieldValueRequired", field: "spec.ports", message: "Required value" },
      { reason: "FieldValueInvalid", field: "spec.type", message: 'Invalid value: "x"' },
    ]),
    code: "LBIPAM_APISERVER_INVALID",
    http: 422,
    reason: "Invalid",
    message: 'Service "web" is invalid: [spec.ports: Required value, spec.type: Invalid value: "x"]',
  },
  {
    error: new BadRequestError("bad"),
    code: "LBIPAM_APISERVER_BAD_REQUEST",
    http: 400,
    reason: "BadRequest",
    message: "bad",
  },
  {
    error: new ObjectDecodeError("Lease", "v1", "parsing time"),
    code: "LBIPAM_APISERVER_BAD_REQUEST",
    http: 400,
    reason: "BadRequest",
    message: 'Lease in version "v1" cannot be handled as a Lease: parsing time',
  },
  {
    error: new UnauthorizedError(),
    code: "LBIPAM_APISERVER_UNAUTHORIZED",
    http: 401,
    reason: "Unauthorized",
    message: "Unauthorized",
  },
  {
    error: new MethodNotSupportedError({ resource: "namespaces", group: "" }, "deletecollection"),
    code: "LBIPAM_APISERVER_METHOD_NOT_ALLOWED",
    http: 405,
    reason: "MethodNotAllowed",
    message: 'deletecollection is not supported on resources of kind "namespaces"',
  },
  {
    error: new UnsupportedMediaTypeError(["application/json-patch+json", "application/merge-patch+json"]),
    code: "LBIPAM_APISERVER_UNSUPPORTED_MEDIA_TYPE",
    http: 415,
    reason: "UnsupportedMediaType",
    message:
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json",
  },
  {
    error: new GoneError("too old resource version: 3 (10)"),
    code: "LBIPAM_APISERVER_GONE",
    http: 410,
    reason: "Expired",
    message: "too old resource version: 3 (10)",
  },
  {
    error: new TooManyRequestsError(),
    code: "LBIPAM_APISERVER_TOO_MANY_REQUESTS",
    http: 429,
    reason: "TooManyRequests",
    message: "the server has received too many requests and has asked us to try again later",
  },
  {
    error: new ResourceVersionOnCreateError(),
    code: "LBIPAM_APISERVER_RESOURCE_VERSION_ON_CREATE",
    http: 500,
    reason: "",
    message: "resourceVersion should not be set on objects to be created",
  },
  {
    error: new InternalError("boom"),
    code: "LBIPAM_APISERVER_INTERNAL_ERROR",
    http: 500,
    reason: "InternalError",
    message: "Internal error occurred: boom",
  },
];

for (const c of statusCases) {
  test(`${c.error.constructor.name} (${c.reason}) carries code, status and body`, () => {
    assert.ok(c.error instanceof ApiServerError);
    assert.ok(c.error instanceof Error);
    assert.equal(c.error.code, c.code);
    assert.equal(c.error.name, c.error.constructor.name);
    const body = c.error.toStatus();
    assert.equal(body.kind, "Status");
    assert.equal(body.apiVersion, "v1");
    assert.equal(body.status, "Failure");
    assert.equal(body.code, c.http);
    assert.equal(body.reason, c.reason || undefined);
    assert.equal(body.message, c.message);
  });
}

test("NotFound details name the resource and, for named groups, the group", () => {
  assert.deepEqual(new NotFoundError(svc).toStatus().details, { name: "web", kind: "services" });
  assert.deepEqual(new NotFoundError(pool).toStatus().details, {
    name: "p1",
    group: "projectcalico.org",
    kind: "ippools",
  });
});

test("Invalid details carry the kind and every cause", () => {
  const error = new InvalidError("IPPool", "projectcalico.org", "p1", [
    { reason: "FieldValueRequired", field: "spec.cidr", message: "Required value" },
  ]);
  assert.deepEqual(error.toStatus().details, {
    name: "p1",
    group: "projectcalico.org",
    kind: "IPPool",
    causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.cidr" }],
  });
});

test("TooManyRequests asks the client to retry after a second", () => {
  assert.equal(new TooManyRequestsError().toStatus().details?.retryAfterSeconds, 1);
});

test("InvalidOptionError names the option", () => {
  const error = new InvalidOptionError("port", "must be an integer");
  assert.ok(error instanceof ApiServerError);
  assert.equal(error.code, "LBIPAM_APISERVER_INVALID_OPTION");
  assert.equal(error.message, "invalid option port: must be an integer");
});
