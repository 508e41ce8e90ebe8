// What every resource operation receives: the server's shared state and the parsed request.
import type { IncomingMessage } from "node:http";
import type { Faults } from "../faults.js";
import type { ResourceRequest } from "../http/request-info.js";
import type { Registry } from "../registry/registry.js";
import type { ResourceType } from "../registry/resource-type.js";
import type { Store } from "../storage/store.js";
import type { KubeObject } from "../types.js";

export interface ServerState {
  store: Store;
  registry: Registry;
  faults: Faults;
  /** Interval between watch bookmarks when a client asks for them. */
  bookmarkIntervalMs: number;
  /** Hooks run after every stored change (CRD registration, namespace cleanup). */
  afterWrite: (type: ResourceType, object: KubeObject, deleted: boolean) => void;
}

export interface OperationContext {
  state: ServerState;
  type: ResourceType;
  request: ResourceRequest;
  query: URLSearchParams;
  req: IncomingMessage;
}

/** A finished non-streaming answer. */
export interface OperationResult {
  status: number;
  body: unknown;
  warnings?: string[];
}
