// Every error the allocator raises: one base class with a stable `code`.

/** One problem with one input field, e.g. `{ field: "spec.blockSize", value: 33, reason: "must be between 20 and 32 for IPv4" }`. */
export interface FieldProblem {
  field: string;
  value: unknown;
  reason: string;
}

export class AllocatorError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A pool or reservation definition that cannot be used; lists every problem, not just the first. */
export class InvalidPoolError extends AllocatorError {
  readonly problems: FieldProblem[];

  constructor(poolName: string, problems: FieldProblem[]) {
    super(
      "POOL_INVALID",
      `pool "${poolName}" is invalid: ${problems.map((p) => `${p.field}: ${JSON.stringify(p.value)}: ${p.reason}`).join("; ")}`,
    );
    this.problems = problems;
  }
}

export class InvalidAddressError extends AllocatorError {
  readonly value: unknown;
  /** Why, without the value (callers quoting user input shorten the value themselves). */
  readonly reason: string;

  constructor(value: unknown, reason: string, options?: ErrorOptions) {
    super("ADDRESS_INVALID", `invalid IP address ${JSON.stringify(value)}: ${reason}`, options);
    this.value = value;
    this.reason = reason;
  }
}

export class InvalidCidrError extends AllocatorError {
  readonly value: unknown;

  constructor(value: unknown, reason: string, options?: ErrorOptions) {
    super("CIDR_INVALID", `invalid CIDR ${JSON.stringify(value)}: ${reason}`, options);
    this.value = value;
  }
}

export class UnknownPoolError extends AllocatorError {
  readonly poolName: string;

  constructor(poolName: string) {
    super("POOL_UNKNOWN", `no pool named "${poolName}"`);
    this.poolName = poolName;
  }
}

export class DuplicatePoolError extends AllocatorError {
  readonly poolName: string;

  constructor(poolName: string) {
    super("POOL_DUPLICATE", `a pool named "${poolName}" already exists`);
    this.poolName = poolName;
  }
}

/** The shared memory handed to a worker does not describe a pool this version can read. */
export class SharedLayoutError extends AllocatorError {
  constructor(reason: string) {
    super("SHARED_LAYOUT", `shared pool memory is not usable: ${reason}`);
  }
}
