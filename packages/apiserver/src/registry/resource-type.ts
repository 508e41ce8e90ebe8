// What the server needs to know to serve one resource: its names for discovery and errors,
// and the kind-specific behaviour (defaulting, validation, patch schema, table columns).

import type { OperationContext, OperationResult } from "../operations/context.js";
import type { StrategicSchema } from "../patch/index.js";
import type { FieldSelectorTable } from "../selectors/index.js";
import type { TableSpec } from "../tables/index.js";
import type { FieldCause, KubeObject } from "../types.js";
import type { NameValidator } from "../validation/index.js";

export type Operation = "create" | "update";
export type Subresource = "" | "status";

export interface AdmitRequest {
  object: KubeObject;
  oldObject?: KubeObject;
  operation: Operation;
  subresource: Subresource;
}

export interface AdmitResult {
  object: KubeObject;
  causes: FieldCause[];
  /** Paths (e.g. `spec.foo`) of fields the schema does not know; reported per fieldValidation. */
  unknownFields: string[];
  warnings?: string[];
  /** Called once the object is stored: frees what the previous version held (a Service's old node ports). */
  commit?: () => void;
  /** Called when the write is abandoned after admission (dry run): gives back what was claimed. */
  revert?: () => void;
}

export interface ResourceNames {
  group: string;
  version: string;
  /** Plural, lowercase: `services`. */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
}

export interface ResourceType extends ResourceNames {
  /** Where the store keeps the objects; two resources may share it (core and events.k8s.io Events). */
  storeKey: string;
  /** Turns an object as a client sent it into the stored form. */
  toStored(object: KubeObject): KubeObject;
  /** Turns a stored object into the form this group/version serves. */
  fromStored(object: KubeObject): KubeObject;
  hasStatus: boolean;
  /** A custom resource of an installed CRD (affects error wording and patch types). */
  custom: boolean;
  /** Whether metadata.generation is kept (kube does so for custom resources and CRDs, not Services). */
  tracksGeneration: boolean;
  /** Whether PUT may create a missing object (kube allows it for Events). */
  allowCreateOnUpdate: boolean;
  /** Whether PUT without metadata.resourceVersion is accepted. */
  allowUnconditionalUpdate: boolean;
  /** Whether admit() validates ObjectMeta itself; otherwise the server core does. */
  validatesMetadata: boolean;
  /** The rule object names follow (DNS-1123 subdomain for most kinds, DNS-1035 label for Services). */
  nameValidator: NameValidator;
  /** Defaulting, pruning and validation; causes make the write fail with 422. */
  admit(request: AdmitRequest): AdmitResult;
  /** The strategic merge patch schema; undefined means strategic merge is refused with 415. */
  strategicSchema: StrategicSchema | undefined;
  /** Columns of `kubectl get` (wide columns have priority 1; kubectl hides them unless -o wide). */
  table: TableSpec;
  /** The field selectors this resource supports and their values for an object. */
  fieldSelectors: FieldSelectorTable;
  /** This resource's part of /openapi/v3 (paths and components); undefined serves a generic one. */
  openApiDocument: (() => Record<string, unknown>) | undefined;
  /**
   * When present, DELETE only marks the object with what this returns (a namespace turns
   * Terminating) and a lifecycle hook removes it later; otherwise finalizers decide.
   */
  beginDeletion?: (stored: KubeObject) => KubeObject;
  /** Called after an object is gone, to free what it held (e.g. a Service's cluster IP). */
  released(object: KubeObject): void;
  /**
   * Present for a review kind (TokenReview, SubjectAccessReview): its create, which stores
   * nothing and answers with the status it computes; no other verb is served.
   */
  review?: (ctx: OperationContext) => Promise<OperationResult>;
}

export function groupVersion(names: { group: string; version: string }): string {
  return names.group ? `${names.group}/${names.version}` : names.version;
}

/** The key under which the store keeps a resource's objects (independent of version). */
export function resourceKey(names: { group: string; resource: string }): string {
  return names.group ? `${names.resource}.${names.group}` : names.resource;
}
