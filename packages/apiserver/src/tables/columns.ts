// Column definitions shared by the kinds' tables (names as kube-apiserver sends them; kubectl upper-cases).
import type { TableColumnDefinition } from "./table.js";

export function column(
  name: string,
  description: string,
  extra: Partial<TableColumnDefinition> = {},
): TableColumnDefinition {
  return { name, type: "string", format: "", description, priority: 0, ...extra };
}

export const NAME_COLUMN = column("Name", "The name of the object, unique within its namespace.", {
  format: "name",
});
export const AGE_COLUMN = column("Age", "Time since the object's creationTimestamp.");
