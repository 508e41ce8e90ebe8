// kubectl's output formats for the plugin's reports: table (default), wide,
// json, yaml, name, jsonpath=TEMPLATE and custom-columns=HEADER:PATH,...
// (as kubectl's printers: k8s.io/cli-runtime/pkg/printers). Each command says
// what it prints in each (a Printable); this module prints it.
import { stringify } from "yaml";
import { UsageError } from "./errors.js";
import {
  execute,
  MAX_TEMPLATE_BYTES,
  parsePath,
  parseTemplate,
  printValue,
  select,
  type Template,
} from "./jsonpath.js";

export type OutputFormat =
  | { kind: "table" | "wide" | "json" | "yaml" | "name" }
  | { kind: "jsonpath"; template: Template }
  | { kind: "custom-columns"; columns: { header: string; steps: ReturnType<typeof parsePath> }[] };

const ALLOWED = "custom-columns, json, jsonpath, name, table, wide, yaml";

/** The -o flag's help, for every command. */
export const OUTPUT_HELP = `  -o, --output FORMAT              table (default), wide, json, yaml, name,
                                   jsonpath=TEMPLATE or custom-columns=HEADER:PATH,...
  -h, --help                       this help`;

function customColumns(spec: string): OutputFormat {
  if (Buffer.byteLength(spec) > MAX_TEMPLATE_BYTES) {
    throw new UsageError(`custom-columns longer than ${MAX_TEMPLATE_BYTES} bytes`);
  }
  const columns = spec.split(",").map((column) => {
    const colon = column.indexOf(":");
    if (colon <= 0) {
      throw new UsageError(`unexpected custom-columns spec: ${column}, expected <header>:<json-path-expr>`);
    }
    const path = column
      .slice(colon + 1)
      .trim()
      .replace(/^\{(.*)\}$/, "$1");
    return { header: column.slice(0, colon), steps: parsePath(path) };
  });
  return { kind: "custom-columns", columns };
}

/** -o VALUE as kubectl spells it. */
export function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? "";
  if (format === "" || format === "table") return { kind: "table" };
  if (format === "wide" || format === "json" || format === "yaml" || format === "name")
    return { kind: format };
  if (format.startsWith("jsonpath=")) return { kind: "jsonpath", template: parseTemplate(format.slice(9)) };
  if (format.startsWith("custom-columns=")) return customColumns(format.slice(15));
  if (format === "jsonpath" || format === "custom-columns") {
    throw new UsageError(
      `${format} format specified but no ${format === "jsonpath" ? "template" : "columns"} given`,
    );
  }
  throw new UsageError(
    `unable to match a printer suitable for the output format "${format}", allowed formats are: ${ALLOWED}`,
  );
}

/** What a command prints, in each format. */
export interface Printable {
  /** The whole result: -o json, yaml and jsonpath. */
  document: unknown;
  /** One row each for -o custom-columns. */
  items: unknown[];
  /** -o name: TYPE/NAME per line, as kubectl prints them. */
  names: string[];
  /** The human form; `wide` adds columns. */
  table(wide: boolean): string;
}

export function serialize(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

export function print(format: OutputFormat, printable: Printable): string {
  switch (format.kind) {
    case "table":
    case "wide":
      return printable.table(format.kind === "wide");
    case "json":
    case "yaml":
      return serialize(printable.document, format.kind);
    case "name":
      return printable.names.map((name) => `${name}\n`).join("");
    case "jsonpath":
      return execute(format.template, printable.document);
    case "custom-columns":
      return renderTable(
        format.columns.map((column) => column.header),
        printable.items.map((item) =>
          format.columns.map((column) => {
            const values = select(item, column.steps);
            return values.length === 0 ? "<none>" : values.map(printValue).join(",");
          }),
        ),
      );
  }
}

/** Left-aligned columns separated by three spaces, as kubectl prints tables. */
export function renderTable(header: string[], rows: string[][]): string {
  // A loop, not Math.max(...rows): a spread of 100,000 rows overflows the stack.
  const widths = header.map((title) => title.length);
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (row[i] ?? "").length);
  }
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
