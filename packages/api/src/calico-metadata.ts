// A pool's lbipam.io/ annotations where Calico keeps them. On Calico's
// crd.projectcalico.org/v1 objects (behaviour.md "Calico clusters", shape 3)
// the v3 metadata set through calicoctl or Calico's API server is JSON in the
// projectcalico.org/metadata annotation; Calico's v3 view is the v1
// object's own annotations with that JSON's annotations laid over them
// (libcalico-go lib/backend/k8s/resources/resources.go,
// ConvertK8sResourceToCalicoResource). lbipam reads them the same way.
import { LBIPAM_PREFIX } from "./annotations.js";
import { ANNOTATION_VALUE_BYTES } from "./bounded.js";
import type { ObjectMeta } from "./resources.js";

/** The annotation of Calico's v1 objects holding their v3 metadata as JSON. */
export const CALICO_METADATA_ANNOTATION = "projectcalico.org/metadata";
/** Longest metadata annotation parsed (Kubernetes allows 256 KiB of annotations in all). */
export const CALICO_METADATA_BYTES = 4 * ANNOTATION_VALUE_BYTES;

export interface OwnAnnotations {
  /** The lbipam.io/ annotations in force, as Calico's v3 view of the object has them. */
  annotations: Record<string, string>;
  /** Why the metadata annotation could not be read (its annotations are then left out). */
  problem: string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function lbipamEntries(from: Readonly<Record<string, unknown>>, into: Record<string, string>): void {
  for (const [key, value] of Object.entries(from))
    if (key.startsWith(LBIPAM_PREFIX) && typeof value === "string") into[key] = value;
}

/** The annotations of the v3 metadata JSON, or why they cannot be read. */
function metadataAnnotations(json: string): Record<string, unknown> | string {
  const problem = (why: string) => `${CALICO_METADATA_ANNOTATION}: ${why}; its annotations are not read`;
  if (json.length > CALICO_METADATA_BYTES || Buffer.byteLength(json) > CALICO_METADATA_BYTES)
    return problem(`longer than ${CALICO_METADATA_BYTES} bytes`);
  let metadata: unknown;
  try {
    metadata = JSON.parse(json);
  } catch {
    return problem("not JSON");
  }
  if (!isObject(metadata)) return problem("not a JSON object");
  const annotations = metadata.annotations ?? {};
  // Calico reads it into a map of strings: anything else fails there too.
  if (!isObject(annotations) || Object.values(annotations).some((value) => typeof value !== "string"))
    return problem("annotations is not a map of strings");
  return annotations;
}

/** The pool's lbipam.io/ annotations: its own, then those of Calico's v3 metadata over them. */
export function ownAnnotations(metadata: Pick<ObjectMeta, "annotations"> | undefined): OwnAnnotations {
  const own = metadata?.annotations ?? {};
  const annotations: Record<string, string> = {};
  lbipamEntries(own, annotations);
  const json = own[CALICO_METADATA_ANNOTATION];
  if (typeof json !== "string") return { annotations, problem: undefined };
  const fromCalico = metadataAnnotations(json);
  if (typeof fromCalico === "string") return { annotations, problem: fromCalico };
  lbipamEntries(fromCalico, annotations);
  return { annotations, problem: undefined };
}
