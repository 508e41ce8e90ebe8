// Events: one store in the core/v1 form, served through core/v1 and events.k8s.io/v1 with the
// field mapping and validation each API applies (from kinds/).
import {
  EVENTS_V1,
  normalizeCoreEvent,
  toCoreEvent,
  toEventsV1Event,
  validateEventCreate,
  validateEventUpdate,
} from "../kinds/index.js";
import { defineType } from "../registry/define.js";
import type { AdmitRequest, AdmitResult, ResourceNames, ResourceType } from "../registry/resource-type.js";
import { EVENT_TABLE } from "../tables/index.js";
import { withKnownFields } from "./fields/admit.js";
import { coreEventFields, eventsV1Fields } from "./fields/kinds.js";

function admitter(apiVersion: string) {
  return ({ object, oldObject }: AdmitRequest): AdmitResult => {
    const next = toCoreEvent(object);
    const causes = oldObject
      ? validateEventUpdate(next, toCoreEvent(oldObject), apiVersion)
      : validateEventCreate(next, apiVersion);
    return { object, causes, unknownFields: [] };
  };
}

const names = (group: string): ResourceNames => ({
  group,
  version: "v1",
  resource: "events",
  kind: "Event",
  listKind: "EventList",
  singular: "event",
  shortNames: ["ev"],
  categories: [],
  namespaced: true,
});

export function eventTypes(): ResourceType[] {
  const core = defineType(names(""), {
    allowCreateOnUpdate: true,
    validatesMetadata: true,
    toStored: toCoreEvent,
    fromStored: normalizeCoreEvent,
    admit: withKnownFields(coreEventFields, admitter("v1")),
    table: EVENT_TABLE,
  });
  const modern = defineType(names("events.k8s.io"), {
    storeKey: core.storeKey,
    allowCreateOnUpdate: true,
    validatesMetadata: true,
    toStored: (object) => toCoreEvent({ ...object, apiVersion: EVENTS_V1 }),
    fromStored: toEventsV1Event,
    admit: withKnownFields(eventsV1Fields, admitter(EVENTS_V1)),
    table: EVENT_TABLE,
  });
  return [core, modern];
}
