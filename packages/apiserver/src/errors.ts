// Every error this package throws extends ApiServerError and carries a stable `code`.
// StatusError and its subclasses also carry the Kubernetes `Status` body the client receives.
import type { FieldCause } from "./types.js";

export class ApiServerError extends Error {
  readonly code: string;
  constructor(message: string, code = "LBIPAM_APISERVER_ERROR") {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option given to startApiServer or the CLI is not acceptable; the message names the option. */
export class InvalidOptionError extends ApiServerError {
  constructor(option: string, problem: string) {
    super(`invalid option ${option}: ${problem}`, "LBIPAM_APISERVER_INVALID_OPTION");
  }
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** The JSON body of every failed request, as kube-apiserver writes it. */
export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Names an object in an error message: the resource (e.g. `services`) and group. */
export interface ObjectRef {
  resource: string;
  group: string;
  name: string;
}

function qualifiedResource(ref: ObjectRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

function refDetails(ref: ObjectRef): StatusDetails {
  return ref.group
    ? { name: ref.name, group: ref.group, kind: ref.resource }
    : { name: ref.name, kind: ref.resource };
}

export class StatusError extends ApiServerError {
  readonly httpStatus: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(httpStatus: number, reason: string, message: string, details?: StatusDetails, code?: string) {
    super(
      message,
      code ?? `LBIPAM_APISERVER_${reason.replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c).toUpperCase()}`,
    );
    this.httpStatus = httpStatus;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.httpStatus,
    };
    // kube leaves the reason out when it has none (errors that are not API errors).
    if (!this.reason) delete body.reason;
    if (this.details) body.details = this.details;
    return body;
  }
}

/** A create carrying a resourceVersion: etcd storage refuses it, and kube answers a bare 500. */
export class ResourceVersionOnCreateError extends StatusError {
  constructor() {
    super(
      500,
      "",
      "resourceVersion should not be set on objects to be created",
      undefined,
      "LBIPAM_APISERVER_RESOURCE_VERSION_ON_CREATE",
    );
  }
}

export class NotFoundError extends StatusError {
  constructor(ref: ObjectRef) {
    super(404, "NotFound", `${qualifiedResource(ref)} "${ref.name}" not found`, refDetails(ref));
  }
}

/** A path or resource the server does not serve at all (kube answers a bare 404 Status). */
export class PathNotFoundError extends StatusError {
  constructor() {
    super(
      404,
      "NotFound",
      "the server could not find the requested resource",
      {},
      "LBIPAM_APISERVER_PATH_NOT_FOUND",
    );
  }
}

export class AlreadyExistsError extends StatusError {
  constructor(ref: ObjectRef) {
    super(409, "AlreadyExists", `${qualifiedResource(ref)} "${ref.name}" already exists`, refDetails(ref));
  }
}

export class ConflictError extends StatusError {
  constructor(
    ref: ObjectRef,
    problem = "the object has been modified; please apply your changes to the latest version and try again",
  ) {
    super(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${ref.name}": ${problem}`,
      refDetails(ref),
    );
  }
}

/** 422: the object fails validation. `kind` is the Kind (`Service`), `group` empty for core. */
export class InvalidError extends StatusError {
  readonly causes: FieldCause[];
  constructor(kind: string, group: string, name: string, causes: FieldCause[]) {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
    const details: StatusDetails = {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    };
    super(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${summary}`, details);
    this.causes = causes;
  }
}

export class BadRequestError extends StatusError {
  constructor(message: string) {
    super(400, "BadRequest", message);
  }
}

/**
 * A body whose JSON the kind's Go struct refuses (a time Go cannot parse), worded as
 * handlers/rest.go transformDecodeError words it; `problem` is the decoder's own message.
 */
export class ObjectDecodeError extends BadRequestError {
  constructor(
    kind: string,
    version: string,
    readonly problem: string,
  ) {
    super(`${kind} in version "${version}" cannot be handled as a ${kind}: ${problem}`);
  }
}

export class UnauthorizedError extends StatusError {
  constructor() {
    super(401, "Unauthorized", "Unauthorized");
  }
}

export class MethodNotSupportedError extends StatusError {
  constructor(ref: { resource: string; group: string }, verb: string) {
    const qualified = ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
    super(405, "MethodNotAllowed", `${verb} is not supported on resources of kind "${qualified}"`, {
      ...(ref.group ? { group: ref.group } : {}),
      kind: ref.resource,
    });
  }
}

export class UnsupportedMediaTypeError extends StatusError {
  constructor(accepted: string[]) {
    super(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    );
  }
}

/** 410: the requested resourceVersion has left the kept window of changes. */
export class GoneError extends StatusError {
  constructor(message: string) {
    super(410, "Expired", message, undefined, "LBIPAM_APISERVER_GONE");
  }
}

export class TooManyRequestsError extends StatusError {
  constructor(retryAfterSeconds = 1) {
    super(
      429,
      "TooManyRequests",
      "the server has received too many requests and has asked us to try again later",
      {
        retryAfterSeconds,
      },
    );
  }
}

export class InternalError extends StatusError {
  constructor(problem: string) {
    super(500, "InternalError", `Internal error occurred: ${problem}`, {
      causes: [{ reason: "UnexpectedServerError", message: problem }],
    });
  }
}
