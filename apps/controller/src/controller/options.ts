// What the controller is built from: the kubeconfig, a logger and tuning.
import type { KubeConfig } from "@kubernetes/client-node";
import type { ShapeDecision } from "@lbipam/api";
import type { ClusterWriter } from "./cluster-writer.js";
import type { InformerLogger } from "./informer.js";
import type { LeaderElectionOptions } from "./leader-election.js";

export interface ControllerLogger extends InformerLogger {
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface ControllerOptions {
  kubeconfig: KubeConfig;
  logger: ControllerLogger;
  /** spec.loadBalancerClass this controller serves (besides Services with none). */
  loadBalancerClass: string;
  /** Reconciles running at once. */
  workers: number;
  /** Client-side limit of write requests per second (0: none) and burst. */
  qps: number;
  burst: number;
  /** Shortest time between two status writes of one IPPool. */
  poolStatusIntervalMs?: number;
  /** Informer tuning (tests shorten these). */
  watchTimeoutSeconds?: number;
  /** Replaces the writer built from the kubeconfig (tests count or fail writes). */
  writer?: ClusterWriter;
  /** Piscina threads for allocator batches (0: everything inline). */
  allocatorThreads?: number;
  /** Batches at least this large go to a worker (default: the measured WORKER_MIN_BATCH). */
  workerMinBatch?: number;
  /** The cluster's shape, found before the controller is built (detectClusterShape); default: lbipam's own CRDs. */
  shape?: ShapeDecision;
  /** Compete for a Lease and work only while holding it; absent: always the leader. */
  leaderElection?: LeaderElectionOptions;
}
