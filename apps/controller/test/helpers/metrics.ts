// Metrics for unit tests of the controller's parts: nothing to sample.
import { ControllerMetrics } from "../../src/controller/metrics.js";

export function idleMetrics(): ControllerMetrics {
  return new ControllerMetrics({
    pools: () => [],
    servicesByState: () => ({}),
    queueDepth: () => 0,
    workerPool: () => ({ queued: 0, running: 0 }),
    leader: () => true,
    clusterShape: () => "lbipam",
    calicoControllerActive: () => false,
  });
}
