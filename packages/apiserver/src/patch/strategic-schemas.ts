// Patch metadata of the built-in kinds this server serves, transcribed from the `patchStrategy`
// and `patchMergeKey` tags of k8s.io/api (core/v1, coordination/v1) and apimachinery's ObjectMeta.
import type { StrategicSchema } from "./strategic-merge-patch.js";

const objectMeta: StrategicSchema = {
  fields: {
    finalizers: { strategy: "merge" },
    ownerReferences: { strategy: "merge", mergeKey: "uid" },
  },
};

const conditions: StrategicSchema = { strategy: "merge", mergeKey: "type" };

export const SERVICE_SCHEMA: StrategicSchema = {
  fields: {
    metadata: objectMeta,
    spec: { fields: { ports: { strategy: "merge", mergeKey: "port" } } },
    status: { fields: { conditions } },
  },
};

export const NAMESPACE_SCHEMA: StrategicSchema = {
  fields: { metadata: objectMeta, status: { fields: { conditions } } },
};

/** core/v1 Event and events.k8s.io/v1 Event: no merging lists besides ObjectMeta's. */
const EVENT_SCHEMA: StrategicSchema = { fields: { metadata: objectMeta } };

export const LEASE_SCHEMA: StrategicSchema = { fields: { metadata: objectMeta } };

/** CustomResourceDefinition is a built-in type: it takes strategic merge patches (its custom resources do not). */
const CUSTOM_RESOURCE_DEFINITION_SCHEMA: StrategicSchema = { fields: { metadata: objectMeta } };

const SCHEMAS: Readonly<Record<string, StrategicSchema>> = {
  "/v1/Service": SERVICE_SCHEMA,
  "/v1/Namespace": NAMESPACE_SCHEMA,
  "/v1/Event": EVENT_SCHEMA,
  "events.k8s.io/v1/Event": EVENT_SCHEMA,
  "coordination.k8s.io/v1/Lease": LEASE_SCHEMA,
  "apiextensions.k8s.io/v1/CustomResourceDefinition": CUSTOM_RESOURCE_DEFINITION_SCHEMA,
};

/**
 * The strategic merge schema of a built-in kind (group "" for core), or undefined when the kind
 * does not support strategic merge patch (custom resources): the server then answers 415 with
 * STRATEGIC_MERGE_UNSUPPORTED_MESSAGE.
 */
export function strategicSchemaFor(
  group: string,
  version: string,
  kind: string,
): StrategicSchema | undefined {
  return SCHEMAS[`${group}/${version}/${kind}`];
}

export function supportsStrategicMergePatch(group: string, version: string, kind: string): boolean {
  return strategicSchemaFor(group, version, kind) !== undefined;
}
