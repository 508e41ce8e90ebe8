// Every write the controller makes, behind one narrow interface (MetalLB's
// style): the reconciler depends on this, not on a client library, and the
// requests go through one rate limit and one error shape.
import {
  ApiException,
  type CoreV1Api,
  type CoreV1Event,
  type CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { ApiRequestError } from "../errors.js";
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
  createEvent(event: CoreV1Event): Promise<CoreV1Event>;
  patchEvent(key: ObjectKey, patch: object): Promise<void>;
  patchClusterObjectStatus(plural: string, name: string, status: object): Promise<void>;
  createClusterObject(plural: string, body: object): Promise<void>;
}

/** Called after every request with its outcome, for metrics. */
export type RequestObserver = (verb: string, resource: string, status: number) => void;

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class KubeClusterWriter implements ClusterWriter {
  constructor(
    private readonly core: CoreV1Api,
    private readonly custom: CustomObjectsApi,
    private readonly limiter: TokenBucket,
    private readonly observe: RequestObserver = () => {},
  ) {}

  private async send<T>(verb: string, resource: string, call: () => Promise<T>): Promise<T> {
    await this.limiter.take();
    try {
      const result = await call();
      this.observe(verb, resource, 200);
      return result;
    } catch (error) {
      const status = error instanceof ApiException ? error.code : 0;
      this.observe(verb, resource, status);
      throw new ApiRequestError(verb, resource, status, describe(error), { cause: error });
    }
  }

  async patchServiceStatus(
    key: ObjectKey,
    resourceVersion: string | undefined,
    status: object,
  ): Promise<void> {
    const body = resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status };
    await this.send("patch", "services/status", () =>
      this.core.patchNamespacedServiceStatus({ name: key.name, namespace: key.namespace, body }, mergePatch),
    );
  }

  createEvent(event: CoreV1Event): Promise<CoreV1Event> {
    const namespace = event.metadata.namespace ?? "default";
    return this.send("create", "events", () => this.core.createNamespacedEvent({ namespace, body: event }));
  }

  async patchEvent(key: ObjectKey, patch: object): Promise<void> {
    await this.send("patch", "events", () =>
      this.core.patchNamespacedEvent({ name: key.name, namespace: key.namespace, body: patch }, mergePatch),
    );
  }

  async patchClusterObjectStatus(plural: string, name: string, status: object): Promise<void> {
    await this.send("patch", `${plural}/status`, () =>
      this.custom.patchClusterCustomObjectStatus(
        { group: CALICO_GROUP, version: CALICO_VERSION, plural, name, body: { status } },
        mergePatch,
      ),
    );
  }

  async createClusterObject(plural: string, body: object): Promise<void> {
    await this.send("create", plural, () =>
      this.custom.createClusterCustomObject({ group: CALICO_GROUP, version: CALICO_VERSION, plural, body }),
    );
  }
}

/** The server's own message when it sent a Status, else the error's. */
function describe(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === "string" ? safeParse(error.body) : error.body;
    if (body && typeof body === "object" && "message" in body && typeof body.message === "string")
      return body.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
