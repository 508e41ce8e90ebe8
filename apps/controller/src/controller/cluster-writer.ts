// Every write the controller makes, behind one narrow interface (MetalLB's
// style): the reconciler depends on this, not on a client library, and the
// requests go through one rate limit and one error shape.
import type { CoreV1Event } from "@kubernetes/client-node";
import { ApiRequestError } from "../errors.js";
import type { RestClient, RestReply } from "./rest-client.js";
import type { TokenBucket } from "./token-bucket.js";

export const CALICO_GROUP = "projectcalico.org";
export const CALICO_VERSION = "v3";

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface ClusterWriter {
  /** Merge-patches a Service's status; with `resourceVersion`, only if the Service is still at that version. */
  patchServiceStatus(key: ObjectKey, resourceVersion: string | undefined, status: object): Promise<void>;
  createEvent(event: CoreV1Event): Promise<void>;
  patchEvent(key: ObjectKey, patch: object): Promise<void>;
  patchClusterObjectStatus(plural: string, name: string, status: object): Promise<void>;
  createClusterObject(plural: string, body: object): Promise<void>;
}

/** Called after every request with its outcome, for metrics. */
export type RequestObserver = (verb: string, resource: string, status: number) => void;

const MERGE_PATCH = "application/merge-patch+json";
const CALICO_PATH = `/apis/${CALICO_GROUP}/${CALICO_VERSION}`;

export class KubeClusterWriter implements ClusterWriter {
  constructor(
    private readonly client: RestClient,
    private readonly limiter: TokenBucket,
    private readonly observe: RequestObserver = () => {},
  ) {}

  private async send(
    verb: string,
    resource: string,
    method: string,
    path: string,
    body: unknown,
    type?: string,
  ) {
    await this.limiter.take();
    let reply: RestReply;
    try {
      reply = await this.client.send(method, path, body, type);
    } catch (error) {
      this.observe(verb, resource, 0);
      throw new ApiRequestError(verb, resource, 0, error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    this.observe(verb, resource, reply.status);
    // Only a refusal's answer is read: a write's answer (the object written) is not needed.
    if (reply.status >= 300)
      throw new ApiRequestError(verb, resource, reply.status, statusMessage(reply.body));
  }

  async patchServiceStatus(
    key: ObjectKey,
    resourceVersion: string | undefined,
    status: object,
  ): Promise<void> {
    const body = resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status };
    const path = `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/services/${encodeURIComponent(key.name)}/status`;
    await this.send("patch", "services/status", "PATCH", path, body, MERGE_PATCH);
  }

  async createEvent(event: CoreV1Event): Promise<void> {
    const namespace = encodeURIComponent(event.metadata.namespace ?? "default");
    await this.send("create", "events", "POST", `/api/v1/namespaces/${namespace}/events`, event);
  }

  async patchEvent(key: ObjectKey, patch: object): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/events/${encodeURIComponent(key.name)}`;
    await this.send("patch", "events", "PATCH", path, patch, MERGE_PATCH);
  }

  async patchClusterObjectStatus(plural: string, name: string, status: object): Promise<void> {
    const path = `${CALICO_PATH}/${plural}/${encodeURIComponent(name)}/status`;
    await this.send("patch", `${plural}/status`, "PATCH", path, { status }, MERGE_PATCH);
  }

  async createClusterObject(plural: string, body: object): Promise<void> {
    await this.send("create", plural, "POST", `${CALICO_PATH}/${plural}`, body);
  }
}

/** The message of the Status the server sent, else the body itself. */
export function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === "string") return status.message;
  } catch {
    // Not JSON: show it as it came.
  }
  return body.slice(0, 500);
}
