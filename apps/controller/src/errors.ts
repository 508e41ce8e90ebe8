// Every error the controller raises: one base class with a stable `code`.

export class ControllerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A request to the API server failed; `status` is its HTTP code (0 when none came back). */
export class ApiRequestError extends ControllerError {
  readonly status: number;
  readonly verb: string;
  readonly resource: string;

  constructor(verb: string, resource: string, status: number, detail: string, options?: ErrorOptions) {
    super("API_REQUEST", `${verb} ${resource} failed${status ? ` with ${status}` : ""}: ${detail}`, options);
    this.status = status;
    this.verb = verb;
    this.resource = resource;
  }

  /** The object changed since it was read: re-read and try again. */
  get conflict(): boolean {
    return this.status === 409;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** The resourceVersion (or a list's continue token) asked for is older than the server keeps: list again. */
  get expired(): boolean {
    return this.status === 410;
  }
}

/** A flag or option has a value the controller cannot use. */
export class InvalidOptionError extends ControllerError {
  readonly option: string;

  constructor(option: string, value: unknown, reason: string) {
    super("OPTION_INVALID", `--${option} ${JSON.stringify(value)}: ${reason}`);
    this.option = option;
  }
}

/** The serving certificate of --metrics-cert-dir cannot be read or is not a certificate and its key. */
export class ServingCertificateError extends ControllerError {
  readonly directory: string;

  constructor(directory: string, detail: string, options?: ErrorOptions) {
    super("SERVING_CERTIFICATE", `the certificate in ${directory}: ${detail}`, options);
    this.directory = directory;
  }
}
