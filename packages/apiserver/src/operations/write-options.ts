// Options of every write: fieldValidation and dryRun, as query parameters set them.
import { BadRequestError } from "../errors.js";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface WriteOptions {
  fieldValidation: FieldValidation;
  dryRun: boolean;
}

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === "") return "Warn";
  if (value === "Strict" || value === "Warn" || value === "Ignore") return value;
  throw new BadRequestError(`fieldValidation parameter unsupported: ${value}`);
}
