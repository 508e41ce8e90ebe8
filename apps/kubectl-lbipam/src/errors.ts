// Every error the plugin raises: one base class with a stable `code` and the
// exit code kubectl users expect (2 for a bad command line, 1 otherwise).

export class PluginError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag, argument or command the plugin does not accept. */
export class UsageError extends PluginError {
  constructor(message: string) {
    super("USAGE", message, 2);
  }
}

/** The IPPool resource is not served: the CRDs of deploy/crds are not applied. */
export class CrdsMissingError extends PluginError {
  constructor(detail: string) {
    super(
      "CRDS_MISSING",
      `the lbipam CRDs are not installed: ${detail}; apply deploy/crds (kubectl apply -f deploy/crds)`,
    );
  }
}

/** The API server refused the credentials (401) or the request (403). */
export class AccessDeniedError extends PluginError {
  readonly status: number;

  constructor(status: number, what: string, detail: string) {
    super(
      "ACCESS_DENIED",
      `access denied (${status} ${status === 401 ? "Unauthorized" : "Forbidden"}) ${what}: ${detail}`,
    );
    this.status = status;
  }
}

/** Any other failed request, or an API server that cannot be reached. */
export class RequestFailedError extends PluginError {
  readonly status: number;

  constructor(status: number, what: string, detail: string) {
    super("REQUEST_FAILED", `${what} failed${status ? ` (${status})` : ""}: ${detail}`);
    this.status = status;
  }
}

/** The named object does not exist. */
export class NotFoundError extends PluginError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`);
  }
}

/** A file given to simulate cannot be read or holds something unusable. */
export class InputError extends PluginError {
  constructor(message: string) {
    super("INPUT", message);
  }
}

/** The kubeconfig cannot be loaded, or names no usable context. */
export class KubeconfigError extends PluginError {
  constructor(message: string) {
    super("KUBECONFIG", message);
  }
}
