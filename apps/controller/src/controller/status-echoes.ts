// A Service's update that only shows the status this controller just wrote
// is not worked on again. The reconcile that wrote it decided from that very
// Service; deciding again from the same Service with the written status
// changes nothing, and did so for every Service of a burst: half of all
// reconciles (issue 16). The echo is recognised exactly: the Service was at
// the version the write was conditioned on (the write carries it as a
// precondition, so nobody changed it in between), and the new version
// differs from it only in that status (as the server defaults it). Anything
// else, or no write expected, is a change like any other.

import type { CachedService } from "./cluster-caches.js";
import { sameJson } from "./same-json.js";
import { type ServiceStatusPatch, statusChanged } from "./service-status.js";

/** Writes whose echo has not been seen: at most the writes in flight, unless echoes go missing. */
const EXPECTED_LIMIT = 65_536;

interface Expected {
  /** The resourceVersion the write was conditioned on. */
  version: string;
  status: ServiceStatusPatch;
  /**
   * The same as the API server stores it: an ingress entry with an `ip` and
   * no `ipMode` is given `ipMode: VIP` (kubernetes pkg/apis/core/v1/defaults.go,
   * SetDefaults_Service, LoadBalancerIPMode: GA in 1.32).
   */
  defaulted: ServiceStatusPatch;
}

function withDefaults(status: ServiceStatusPatch): ServiceStatusPatch {
  const ingress = status.loadBalancer.ingress.map((entry) =>
    entry.ip && entry.ipMode === undefined ? { ...entry, ipMode: "VIP" } : entry,
  );
  return { ...status, loadBalancer: { ...status.loadBalancer, ingress } };
}

export class StatusEchoes {
  private readonly expected = new Map<string, Expected>();

  /** A status write to the Service of `key`, conditioned on `version`, is about to be sent. */
  expect(key: string, version: string | undefined, status: ServiceStatusPatch): void {
    if (version === undefined) return;
    this.expected.delete(key);
    this.expected.set(key, { version, status, defaulted: withDefaults(status) });
    if (this.expected.size > EXPECTED_LIMIT) this.expected.delete(this.expected.keys().next().value!);
  }

  /** The write failed, or the Service is gone: no echo will come. */
  forget(key: string): void {
    this.expected.delete(key);
  }

  /**
   * Whether the update from `previous` to `next` is the echo of the write
   * expected for `key`. Either way, the expectation is used up: the next
   * update of the Service is not this write's echo.
   */
  isEcho(key: string, previous: CachedService, next: CachedService): boolean {
    const expected = this.expected.get(key);
    if (!expected) return false;
    this.expected.delete(key);
    return (
      previous.metadata.resourceVersion === expected.version &&
      (!statusChanged(next, expected.defaulted) || !statusChanged(next, expected.status)) &&
      sameBesidesStatus(previous, next)
    );
  }
}

/** The two projections agree on everything but their status and resourceVersion. */
function sameBesidesStatus(previous: CachedService, next: CachedService): boolean {
  const { resourceVersion: _before, ...metadataBefore } = previous.metadata;
  const { resourceVersion: _after, ...metadataAfter } = next.metadata;
  return sameJson(previous.spec, next.spec) && sameJson(metadataBefore, metadataAfter);
}
