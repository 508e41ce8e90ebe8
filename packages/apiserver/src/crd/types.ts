// Shapes of the CRD engine: the part of a CRD's JSON it reads, and what compileCrd returns.

import type { FieldCause, KubeObject } from "../types.js";

/** One `x-kubernetes-validations` entry. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  fieldPath?: string;
}

/** A node of a CRD's `openAPIV3Schema` (apiextensions.k8s.io/v1 JSONSchemaProps), as far as the engine uses it. */
export interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: ValidationRule[];
  [key: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: "integer" | "number" | "string" | "boolean" | "date";
  format?: string;
  description?: string;
  priority: number;
  jsonPath: string;
}

export interface AdmitInput {
  object: KubeObject;
  /** The stored object, on update. Transition rules (`oldSelf`) run only when it is given. */
  oldObject?: KubeObject;
  operation: "create" | "update";
  subresource: "" | "status";
}

export interface AdmitResult {
  /** A pruned and defaulted copy of the input. */
  object: KubeObject;
  /** Validation failures, as kube-apiserver reports them; empty when the object is valid. */
  causes: FieldCause[];
  /** Paths of the pruned fields, such as `.spec.foo` or `.spec.list[0].bar`. */
  unknownFields: string[];
}

export interface CompiledCrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  hasStatusSubresource: boolean;
  printerColumns: PrinterColumn[];
  /** Prunes, defaults and validates an object of this version. */
  admit(input: AdmitInput): AdmitResult;
  /** Applies defaults only, as kube-apiserver does when it reads an object from storage. */
  applyDefaults(object: KubeObject): KubeObject;
  openapiSchema: JsonSchema;
}

export interface CompiledCrd {
  /** `<plural>.<group>` */
  name: string;
  group: string;
  scope: "Cluster" | "Namespaced";
  names: {
    plural: string;
    singular: string;
    kind: string;
    listKind: string;
    shortNames: string[];
    categories: string[];
  };
  versions: CompiledCrdVersion[];
  storageVersion: string;
}
