// The KubeControllersConfiguration named "default": read live, created when
// missing (so the upstream `kubectl patch ... default` works on a fresh
// install), and its status.runningConfig kept equal to what is in force.
import {
  API_VERSION,
  type AssignIPs,
  calicoControllerActive,
  DEFAULT_CONFIGURATION_NAME,
  type KubeControllersConfiguration,
  readLoadBalancerConfig,
} from "@lbipam/api";
import { ApiRequestError } from "../errors.js";
import type { ClusterWriter } from "./cluster-writer.js";
import type { ReadCache } from "./read-cache.js";
import { sameJson } from "./same-json.js";

export interface ConfigLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export const CONFIG_PLURAL = "kubecontrollersconfigurations";

export class ConfigSync {
  private current: AssignIPs | undefined;
  private calicoActive = false;

  /**
   * `owns`: false in a Calico cluster, where the configuration is Calico's
   * kube-controllers': read it, never create it or write its status.
   */
  constructor(
    private readonly configs: ReadCache<KubeControllersConfiguration>,
    private readonly writer: ClusterWriter,
    private readonly logger: ConfigLogger,
    private readonly owns = true,
  ) {}

  get assignIPs(): AssignIPs {
    return this.current ?? "AllServices";
  }

  /** Calico's own LoadBalancer controller runs (only a configuration lbipam does not own can say so). */
  get calicoControllerActive(): boolean {
    return this.calicoActive;
  }

  /** Re-reads the configuration; true when the mode in force changed. */
  async sync(): Promise<boolean> {
    const object = this.configs.get(DEFAULT_CONFIGURATION_NAME);
    const config = readLoadBalancerConfig(object);
    for (const problem of config.problems)
      this.logger.warn({ configuration: DEFAULT_CONFIGURATION_NAME }, problem);
    const active = calicoControllerActive(object, this.owns);
    const changed =
      (this.current !== undefined && this.current !== config.assignIPs) || active !== this.calicoActive;
    if (this.current !== config.assignIPs) {
      this.logger.info({ assignIPs: config.assignIPs }, "load balancer configuration in force");
    }
    if (active !== this.calicoActive) {
      if (active) {
        this.logger.warn(
          { configuration: DEFAULT_CONFIGURATION_NAME },
          "Calico's own LoadBalancer controller is running: lbipam leaves Services with no class or class calico to it, and serves only its own class",
        );
      } else
        this.logger.info(
          { configuration: DEFAULT_CONFIGURATION_NAME },
          "Calico's own LoadBalancer controller stopped",
        );
    }
    this.current = config.assignIPs;
    this.calicoActive = active;
    if (!this.owns) return changed;
    if (!object) {
      await this.createDefault();
      return changed;
    }
    const runningConfig = { controllers: { loadBalancer: { assignIPs: config.assignIPs } } };
    const status = (object as { status?: { runningConfig?: unknown } }).status;
    if (!sameJson(status?.runningConfig, runningConfig)) {
      await this.writer.patchClusterObjectStatus(CONFIG_PLURAL, DEFAULT_CONFIGURATION_NAME, {
        runningConfig,
      });
    }
    return changed;
  }

  private async createDefault(): Promise<void> {
    try {
      await this.writer.createClusterObject(CONFIG_PLURAL, {
        apiVersion: API_VERSION,
        kind: "KubeControllersConfiguration",
        metadata: { name: DEFAULT_CONFIGURATION_NAME },
        // An empty section means AllServices. Writing assignIPs here would leave two keys
        // that disagree once a user applies the upstream patch, which spells it AssignIPs.
        spec: { controllers: { loadBalancer: {} } },
      });
      this.logger.info({ configuration: DEFAULT_CONFIGURATION_NAME }, "created the default configuration");
    } catch (error) {
      // Someone created it first: the informer brings it.
      if (!(error instanceof ApiRequestError && error.conflict)) throw error;
    }
  }
}
