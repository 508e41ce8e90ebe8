// A ClusterWriter that records every write instead of sending it, for
// testing the controller's parts alone; a write can be made to fail.
import type { CoreV1Event } from "@kubernetes/client-node";
import type { ClusterWriter, ObjectKey } from "../../src/controller/cluster-writer.js";
import { ApiRequestError } from "../../src/errors.js";

export type WriteKind = "serviceStatus" | "event" | "eventPatch" | "clusterStatus" | "clusterCreate";

export interface Write {
  kind: WriteKind;
  /** namespace/name, or plural/name. */
  target: string;
  body: object;
}

export class RecordingWriter implements ClusterWriter {
  readonly writes: Write[] = [];
  /** The HTTP status the next write of a kind fails with, once. */
  readonly failNext = new Map<WriteKind, number>();
  /** Called after each recorded Service status write (a fake cache can take it in). */
  onServiceStatus: (key: ObjectKey, status: object) => void = () => {};

  private record(kind: WriteKind, target: string, body: object): void {
    const status = this.failNext.get(kind);
    if (status !== undefined) {
      this.failNext.delete(kind);
      throw new ApiRequestError(kind, target, status, "injected");
    }
    this.writes.push({ kind, target, body });
  }

  of(kind: WriteKind): Write[] {
    return this.writes.filter((w) => w.kind === kind);
  }

  async patchServiceStatus(
    key: ObjectKey,
    _resourceVersion: string | undefined,
    status: object,
  ): Promise<void> {
    this.record("serviceStatus", `${key.namespace}/${key.name}`, status);
    this.onServiceStatus(key, status);
  }
  async createEvent(event: CoreV1Event): Promise<void> {
    this.record("event", `${event.metadata?.namespace}/${event.metadata?.name}`, event);
  }
  async patchEvent(key: ObjectKey, patch: object): Promise<void> {
    this.record("eventPatch", `${key.namespace}/${key.name}`, patch);
  }
  async patchClusterObjectStatus(plural: string, name: string, status: object): Promise<void> {
    this.record("clusterStatus", `${plural}/${name}`, status);
  }
  async createClusterObject(plural: string, body: object): Promise<void> {
    const name = (body as { metadata?: { name?: string } }).metadata?.name ?? "";
    this.record("clusterCreate", `${plural}/${name}`, body);
  }
}
