// Label and field selectors of list and watch requests, parsed once and matched per object.
import { BadRequestError } from "../errors.js";
import type { ResourceType } from "../registry/resource-type.js";
import {
  convertFieldSelector,
  type FieldRequirement,
  type LabelRequirement,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "../selectors/index.js";
import type { KubeObject } from "../types.js";

export type ObjectFilter = (object: KubeObject) => boolean;

/** The filter of a request without selectors; callers may skip filtering work when they get it. */
export const matchEverything: ObjectFilter = () => true;

export function selectionFilter(type: ResourceType, query: URLSearchParams): ObjectFilter {
  let labels: LabelRequirement[] = [];
  let fields: FieldRequirement[] = [];
  try {
    labels = parseLabelSelector(query.get("labelSelector") ?? "");
    fields = convertFieldSelector(parseFieldSelector(query.get("fieldSelector") ?? ""), type.fieldSelectors);
  } catch (error) {
    if (error instanceof SelectorError) throw new BadRequestError(error.message);
    throw error;
  }
  if (labels.length === 0 && fields.length === 0) return matchEverything;
  return (object) =>
    matchesLabels(labels, object.metadata?.labels) &&
    matchesFields(fields, type.fieldSelectors.fieldsOf(object));
}
