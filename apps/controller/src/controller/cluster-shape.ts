// Finding the cluster's shape at start (behaviour.md "Calico clusters"): the
// facts @lbipam/api's clusterShape decides on, each one GET (deploy/rbac.yaml
// grants exactly these, by name). 404 means absent; any other failure is an
// error, since guessing wrong would write what Calico reads.
import { clusterShapeOf, isCalicoShape, SHAPE_OBJECTS, type ShapeDecision } from "@lbipam/api";
import { ApiRequestError } from "../errors.js";
import { statusMessage } from "./cluster-writer.js";
import type { RestClient } from "./rest-client.js";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const API_SERVICES = "/apis/apiregistration.k8s.io/v1/apiservices";

async function get(
  rest: RestClient,
  resource: string,
  path: string,
): Promise<{ metadata?: { labels?: Record<string, string> } } | undefined> {
  let reply: Awaited<ReturnType<RestClient["send"]>>;
  try {
    reply = await rest.send("GET", path);
  } catch (error) {
    throw new ApiRequestError("get", resource, 0, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  if (reply.status === 404) return undefined;
  if (reply.status !== 200)
    throw new ApiRequestError("get", resource, reply.status, statusMessage(reply.body));
  return JSON.parse(reply.body) as { metadata?: { labels?: Record<string, string> } };
}

export async function detectClusterShape(rest: RestClient): Promise<ShapeDecision> {
  const crd = (name: string) => get(rest, "customresourcedefinitions", `${CRDS}/${name}`);
  const [v3PoolCrd, v1PoolCrd, calicoApiService] = await Promise.all([
    crd(SHAPE_OBJECTS.v3PoolCrd),
    crd(SHAPE_OBJECTS.v1PoolCrd),
    get(rest, "apiservices", `${API_SERVICES}/${SHAPE_OBJECTS.calicoApiService}`),
  ]);
  // Where Calico's IPAM blocks are matters only in a Calico cluster.
  const calico = isCalicoShape({ v3PoolCrd, v1PoolCrd, calicoApiService });
  const [v1BlockCrd, v3BlockCrd] = calico
    ? await Promise.all([crd(SHAPE_OBJECTS.v1BlockCrd), crd(SHAPE_OBJECTS.v3BlockCrd)])
    : [undefined, undefined];
  return clusterShapeOf({ v3PoolCrd, v1PoolCrd, calicoApiService, v1BlockCrd, v3BlockCrd });
}

const sameShape = (a: ShapeDecision, b: ShapeDecision) =>
  a.shape === b.shape &&
  a.group === b.group &&
  a.version === b.version &&
  a.blocks?.group === b.blocks?.group &&
  a.blocks?.version === b.blocks?.version;

/**
 * Reads the shape again every `intervalMs` and calls `changed` once when it
 * is no longer `shape` (CRDs or Calico's APIService were added or removed):
 * what the controller reads and may write depends on it, so it starts over.
 * A read that fails is tried again at the next tick.
 */
export function watchClusterShape(
  rest: RestClient,
  shape: ShapeDecision,
  intervalMs: number,
  changed: (now: ShapeDecision) => void,
): { stop(): void } {
  let reading = false;
  const timer = setInterval(async () => {
    if (reading) return;
    reading = true;
    try {
      const now = await detectClusterShape(rest);
      if (!sameShape(now, shape)) {
        clearInterval(timer);
        changed(now);
      }
    } catch {
      // Not now: the next tick tries again.
    } finally {
      reading = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
