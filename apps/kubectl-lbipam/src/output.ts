// -o table|json|yaml, as kubectl spells it.
import { stringify } from "yaml";
import { UsageError } from "./errors.js";

export type OutputFormat = "table" | "json" | "yaml";

export function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? "table";
  if (format === "table" || format === "wide" || format === "") return "table";
  if (format === "json" || format === "yaml") return format;
  throw new UsageError(
    `unable to match a printer suitable for the output format "${format}", allowed formats are: json, table, yaml`,
  );
}

export function serialize(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}
