// Events: one stored form (core/v1) served through core/v1 and events.k8s.io/v1, converted field
// by field as kube-apiserver converts them, with the validation each API version applies.
import type { FieldCause, KubeObject } from "../types.js";
import { invalid, invalidEach, required } from "../validation/field.js";
import { validateCoreObjectMeta, validateCoreObjectMetaUpdate } from "../validation/metadata.js";
import { isDns1123Subdomain, isQualifiedName, nameIsDnsSubdomain } from "../validation/names.js";

type Json = Record<string, unknown>;

export const EVENTS_V1 = "events.k8s.io/v1";

function record(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** Drops keys whose value is undefined, so optional fields stay absent as Go's omitempty leaves them. */
function compact(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== "" && v !== 0));
}

// Fields Go always writes: struct-valued ones (null when their time is zero) and strings without omitempty.
const orNull = (value: unknown) => value ?? null;

/** An Event in the core/v1 form, as written through either API. */
export function toCoreEvent(event: KubeObject): KubeObject {
  if (event.apiVersion !== EVENTS_V1) return normalizeCoreEvent(event);
  const {
    apiVersion: _a,
    kind: _k,
    metadata,
    regarding,
    note,
    deprecatedSource,
    deprecatedFirstTimestamp,
    deprecatedLastTimestamp,
    deprecatedCount,
    reportingController,
    ...shared
  } = event;
  return normalizeCoreEvent({
    ...shared,
    apiVersion: "v1",
    kind: "Event",
    metadata,
    involvedObject: regarding,
    message: note,
    source: deprecatedSource,
    firstTimestamp: deprecatedFirstTimestamp,
    lastTimestamp: deprecatedLastTimestamp,
    count: deprecatedCount,
    reportingComponent: reportingController,
  });
}

/** A core/v1 Event with every field Go's encoder writes. */
export function normalizeCoreEvent(event: KubeObject): KubeObject {
  const {
    apiVersion: _a,
    kind: _k,
    metadata,
    involvedObject,
    source,
    firstTimestamp,
    lastTimestamp,
    eventTime,
    reportingComponent,
    reportingInstance,
    ...rest
  } = event;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata,
    involvedObject: record(involvedObject),
    ...compact(rest),
    source: record(source),
    firstTimestamp: orNull(firstTimestamp),
    lastTimestamp: orNull(lastTimestamp),
    eventTime: orNull(eventTime),
    reportingComponent: typeof reportingComponent === "string" ? reportingComponent : "",
    reportingInstance: typeof reportingInstance === "string" ? reportingInstance : "",
  };
}

/** The events.k8s.io/v1 view of a stored core/v1 Event. */
export function toEventsV1Event(event: KubeObject): KubeObject {
  const core = normalizeCoreEvent(event);
  return {
    apiVersion: EVENTS_V1,
    kind: "Event",
    metadata: core.metadata,
    eventTime: core.eventTime,
    ...compact({
      series: core.series,
      reportingController: core.reportingComponent,
      reportingInstance: core.reportingInstance,
      action: core.action,
      reason: core.reason,
    }),
    regarding: core.involvedObject,
    ...compact({ related: core.related, note: core.message, type: core.type }),
    deprecatedSource: core.source,
    deprecatedFirstTimestamp: core.firstTimestamp,
    deprecatedLastTimestamp: core.lastTimestamp,
    ...compact({ deprecatedCount: core.count }),
  };
}

const REASON_LIMIT = 128;
const ACTION_LIMIT = 128;
const REPORTING_INSTANCE_LIMIT = 128;
const NOTE_LIMIT = 1024;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Checks every Event gets, whichever API wrote it (legacyValidateEvent). Paths use core field names. */
function legacyChecks(event: KubeObject, apiVersion: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const namespace = event.metadata?.namespace ?? "";
  const involvedNamespace = text(record(event.involvedObject).namespace);
  const reportingField = apiVersion === "v1" ? "reportingComponent" : "reportingController";
  const mismatch = () =>
    invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace");
  if (!event.eventTime) {
    if (
      involvedNamespace === "" ? namespace !== "" && namespace !== "default" : namespace !== involvedNamespace
    ) {
      causes.push(mismatch());
    }
  } else {
    if (involvedNamespace === "" && namespace !== "default" && namespace !== "kube-system")
      causes.push(mismatch());
    const controller = text(event.reportingComponent);
    if (!controller) causes.push(required(reportingField));
    causes.push(...invalidEach(reportingField, controller, isQualifiedName(controller)));
    const limited: [string, string, number][] = [
      ["reportingInstance", text(event.reportingInstance), REPORTING_INSTANCE_LIMIT],
      ["action", text(event.action), ACTION_LIMIT],
      ["reason", text(event.reason), REASON_LIMIT],
    ];
    for (const [field, value, limit] of limited) {
      if (!value) causes.push(required(field));
      if (value.length > limit) causes.push(invalid(field, "", `can have at most ${limit} characters`));
    }
    if (text(event.message).length > NOTE_LIMIT) {
      causes.push(invalid("message", "", `can have at most ${NOTE_LIMIT} characters`));
    }
  }
  causes.push(...invalidEach("namespace", namespace, isDns1123Subdomain(namespace)));
  return causes;
}

function seriesChecks(event: KubeObject): FieldCause[] {
  if (event.series === undefined || event.series === null) return [];
  const series = record(event.series);
  const causes: FieldCause[] = [];
  if (typeof series.count !== "number" || series.count < 2)
    causes.push(invalid("series.count", "", "should be at least 2"));
  if (!series.lastObservedTime) causes.push(required("series.lastObservedTime"));
  return causes;
}

/**
 * Validation of a new Event (in core form) written through `apiVersion` ("v1" or "events.k8s.io/v1").
 * core/v1 keeps the lax legacy rules; events.k8s.io/v1 adds the strict ones.
 */
export function validateEventCreate(event: KubeObject, apiVersion: string): FieldCause[] {
  const causes = legacyChecks(event, apiVersion);
  if (apiVersion !== EVENTS_V1) return causes;
  causes.push(...validateCoreObjectMeta(event.metadata, true, nameIsDnsSubdomain), ...seriesChecks(event));
  if (!event.eventTime) causes.push(required("eventTime"));
  if (event.type !== "Normal" && event.type !== "Warning") {
    causes.push(invalid("type", "", `has invalid value: ${text(event.type)}`));
  }
  if (event.firstTimestamp) causes.push(invalid("firstTimestamp", "", "needs to be unset"));
  if (event.lastTimestamp) causes.push(invalid("lastTimestamp", "", "needs to be unset"));
  if (event.count) causes.push(invalid("count", "", "needs to be unset"));
  const source = record(event.source);
  if (source.component || source.host) causes.push(invalid("source", "", "needs to be unset"));
  return causes;
}

function immutable(field: string, next: unknown, prev: unknown): FieldCause[] {
  return JSON.stringify(next ?? null) === JSON.stringify(prev ?? null)
    ? []
    : [invalid(field, next ?? null, "field is immutable")];
}

/** Validation of an Event update (both in core form). */
export function validateEventUpdate(next: KubeObject, prev: KubeObject, apiVersion: string): FieldCause[] {
  const causes = legacyChecks(next, apiVersion);
  if (apiVersion !== EVENTS_V1) return causes;
  causes.push(...validateCoreObjectMetaUpdate(next.metadata, prev.metadata));
  if (JSON.stringify(next.series ?? null) !== JSON.stringify(prev.series ?? null))
    causes.push(...seriesChecks(next));
  const fields = [
    "involvedObject",
    "reason",
    "message",
    "source",
    "firstTimestamp",
    "lastTimestamp",
    "count",
    "reason",
    "type",
    // Decoded as MicroTime already, so equal moments are equal strings.
    "eventTime",
  ];
  for (const field of fields) causes.push(...immutable(field, next[field], prev[field]));
  causes.push(
    ...immutable("action", next.action, prev.action),
    ...immutable("related", next.related, prev.related),
    ...immutable("reportingController", next.reportingComponent, prev.reportingComponent),
    ...immutable("reportingInstance", next.reportingInstance, prev.reportingInstance),
  );
  return causes;
}
