// The OpenAPI v3 document kube-apiserver serves for a CRD's group-version at
// /openapi/v3/apis/<group>/<version>. kubectl reads it to find the `fieldValidation`
// query parameter on the PATCH operation of a kind (server-side field validation) and
// for `kubectl explain`.

import { META_PREFIX, metaSchemas } from "./openapi-meta.js";
import type { CompiledCrd, JsonSchema } from "./types.js";

type Operation = Record<string, unknown>;
type Action = "list" | "post" | "deletecollection" | "get" | "put" | "patch" | "delete";

const JSON_AND_YAML = ["application/json", "application/yaml"];
const PATCH_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/apply-patch+yaml",
];

const query = (name: string, description: string, schema: JsonSchema = { type: "string" }) => ({
  name,
  in: "query",
  description,
  schema,
});
const DRY_RUN = query("dryRun", "All: process the request without persisting it.");
const FIELD_MANAGER = query("fieldManager", "Name of the actor making the change, for managedFields.");
const FIELD_VALIDATION = query(
  "fieldValidation",
  "How to treat unknown or duplicate fields: Ignore, Warn (the default) or Strict.",
);
const LIST_PARAMETERS = [
  query("allowWatchBookmarks", "Ask for BOOKMARK events on a watch.", { type: "boolean" }),
  query("continue", "Token of the next page of a limited list."),
  query("fieldSelector", "Select objects by field values."),
  query("labelSelector", "Select objects by labels."),
  query("limit", "Maximum number of items in one page.", { type: "integer" }),
  query("resourceVersion", "List or watch from this resource version."),
  query("resourceVersionMatch", "How resourceVersion applies to a list: Exact or NotOlderThan."),
  query("timeoutSeconds", "End the list or watch after this many seconds.", { type: "integer" }),
  query("watch", "Watch for changes instead of listing.", { type: "boolean" }),
];
const PARAMETERS: Record<Action, unknown[]> = {
  list: LIST_PARAMETERS,
  deletecollection: [DRY_RUN, ...LIST_PARAMETERS],
  get: [query("resourceVersion", "Read at this resource version.")],
  post: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
  put: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
  patch: [
    DRY_RUN,
    FIELD_MANAGER,
    FIELD_VALIDATION,
    query("force", "Take over conflicting fields on apply.", { type: "boolean" }),
  ],
  delete: [
    DRY_RUN,
    query("gracePeriodSeconds", "Seconds before the object is deleted.", { type: "integer" }),
    query("propagationPolicy", "Orphan, Background or Foreground."),
  ],
};

/** The schema name kube-apiserver gives a kind: the group reversed, e.g. `org.projectcalico.v3.IPPool`. */
export function definitionName(group: string, version: string, kind: string): string {
  return [...group.split(".").reverse(), version, kind].join(".");
}

export function openApiV3Document(crd: CompiledCrd, version: string): Record<string, unknown> {
  const compiled = crd.versions.find((candidate) => candidate.name === version);
  if (!compiled) throw new Error(`${crd.name} has no version ${version}`);
  const { group } = crd;
  const { kind, listKind, plural } = crd.names;
  const gvk = { group, version, kind };
  const kindName = definitionName(group, version, kind);
  const listName = definitionName(group, version, listKind);
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const camelGroup = group
    .split(".")
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join("");
  const idPrefix =
    camelGroup.charAt(0).toUpperCase() +
    camelGroup.slice(1) +
    version.charAt(0).toUpperCase() +
    version.slice(1);
  const namespaced = crd.scope === "Namespaced" ? "Namespaced" : "";

  const operation = (
    action: Action,
    verb: string,
    description: string,
    subresource: string,
    response: string,
  ) => {
    const body: Operation = {
      tags: [`${camelGroup}_${version}`],
      description,
      operationId: `${verb}${namespaced}${idPrefix}${kind}${subresource}`,
      parameters: PARAMETERS[action],
      responses: {
        "200": { description: "OK", content: mediaTypes(JSON_AND_YAML, ref(response)) },
        "401": { description: "Unauthorized" },
      },
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": gvk,
    };
    if (action === "post" || action === "put") {
      body.requestBody = { content: mediaTypes(["*/*"], ref(kindName)), required: true };
    }
    if (action === "patch") {
      body.requestBody = { content: mediaTypes(PATCH_TYPES, ref(`${META_PREFIX}Patch`)), required: true };
    }
    return body;
  };

  const root =
    crd.scope === "Namespaced"
      ? `/apis/${group}/${version}/namespaces/{namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
  const pathParameters = (withName: boolean) => [
    ...(withName
      ? [
          {
            name: "name",
            in: "path",
            description: `name of the ${kind}`,
            required: true,
            schema: { type: "string" },
          },
        ]
      : []),
    ...(crd.scope === "Namespaced"
      ? [
          {
            name: "namespace",
            in: "path",
            description: "object name and auth scope",
            required: true,
            schema: { type: "string" },
          },
        ]
      : []),
    query("pretty", "If 'true', the output is pretty printed."),
  ];
  const status = `${META_PREFIX}Status`;
  const paths: Record<string, unknown> = {
    [root]: {
      get: operation("list", "list", `list objects of kind ${kind}`, "", listName),
      post: operation("post", "create", `create a ${kind}`, "", kindName),
      delete: operation("deletecollection", "deletecollection", `delete collection of ${kind}`, "", status),
      parameters: pathParameters(false),
    },
    [`${root}/{name}`]: {
      get: operation("get", "read", `read the specified ${kind}`, "", kindName),
      put: operation("put", "replace", `replace the specified ${kind}`, "", kindName),
      patch: operation("patch", "patch", `partially update the specified ${kind}`, "", kindName),
      delete: operation("delete", "delete", `delete a ${kind}`, "", status),
      parameters: pathParameters(true),
    },
  };
  if (compiled.hasStatusSubresource) {
    paths[`${root}/{name}/status`] = {
      get: operation("get", "read", `read status of the specified ${kind}`, "Status", kindName),
      put: operation("put", "replace", `replace status of the specified ${kind}`, "Status", kindName),
      patch: operation(
        "patch",
        "patch",
        `partially update status of the specified ${kind}`,
        "Status",
        kindName,
      ),
      parameters: pathParameters(true),
    };
  }

  const schemas: Record<string, unknown> = {
    [kindName]: kindSchema(compiled.openapiSchema, gvk, ref(`${META_PREFIX}ObjectMeta`)),
    [listName]: {
      type: "object",
      description: `${listKind} is a list of ${kind}`,
      required: ["items"],
      properties: {
        apiVersion: TYPE_META.apiVersion,
        kind: TYPE_META.kind,
        items: { type: "array", description: `List of ${plural}.`, items: ref(kindName) },
        metadata: { allOf: [ref(`${META_PREFIX}ListMeta`)], description: "Standard list metadata." },
      },
      "x-kubernetes-group-version-kind": [{ group, version, kind: listKind }],
    },
  };
  for (const [name, schema] of Object.entries(metaSchemas)) schemas[`${META_PREFIX}${name}`] = schema;

  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes CRD Swagger", version: "v0.1.0" },
    paths,
    components: { schemas },
  };
}

const TYPE_META = {
  apiVersion: { type: "string", description: "The versioned schema of this representation of an object." },
  kind: { type: "string", description: "The type of this object, in CamelCase." },
};

function kindSchema(schema: JsonSchema, gvk: Record<string, string>, objectMeta: JsonSchema): JsonSchema {
  const { metadata: _metadata, ...properties } = schema.properties ?? {};
  return {
    ...schema,
    properties: {
      ...properties,
      apiVersion: TYPE_META.apiVersion,
      kind: TYPE_META.kind,
      metadata: { allOf: [objectMeta], description: "Standard object's metadata." },
    },
    "x-kubernetes-group-version-kind": [gvk],
  };
}

function mediaTypes(types: string[], schema: unknown): Record<string, { schema: unknown }> {
  return Object.fromEntries(types.map((type) => [type, { schema }]));
}
