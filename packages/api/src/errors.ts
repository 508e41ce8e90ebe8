// Every error this package raises: one base class with a stable `code`.
// User input (annotations, pools, configuration) never throws through the
// public API; these errors are for callers that parse a single value directly.
import { quote } from "./bounded.js";

export class ApiError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A Calico selector expression that does not parse; `position` is the 0-based offset of the problem. */
export class SelectorSyntaxError extends ApiError {
  readonly expression: string;
  readonly position: number;
  readonly reason: string;

  constructor(expression: string, position: number, reason: string) {
    super("SELECTOR_SYNTAX", `invalid selector ${quote(expression)} at position ${position}: ${reason}`);
    this.expression = expression;
    this.position = position;
    this.reason = reason;
  }
}
